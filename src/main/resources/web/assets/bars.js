// Results as plain HTML bars: readable by screen readers, no canvas, no library.
import { el, fill } from './common.js';

/** Fills {@code list} (an <ol>) with one row per label: its text, its count and a bar of its share. */
export function renderBars(list, { labels, values }) {
  const total = values.reduce((sum, v) => sum + v, 0);
  fill(list, labels.map((label, i) => {
    const share = total === 0 ? 0 : Math.round((values[i] / total) * 100);
    const bar = el('span', { class: 'bar', hidden: share === 0 });
    bar.style.width = `${share}%`;
    return el('li', { 'data-option': i },
      el('span', { class: 'label' }, label),
      el('span', { class: 'count' }, `${values[i]} (${share}%)`),
      el('span', { class: 'track', 'aria-hidden': 'true' }, bar));
  }));
}
