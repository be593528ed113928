// One renderer per kind of poll. A page asks kindOf(poll) and never looks at poll.kind itself, so a new kind of
// poll is one defineKind call here, and every page shows it.
import { el, fill } from './common.js';
import { renderBars } from './bars.js';

const kinds = new Map();

/**
 * A renderer:
 *  label                        the kind's name in the organizer's form
 *  usesOptions                  whether the poll has options (the organizer's form asks for them)
 *  ballotForm(poll, onChange)   the voter's inputs: { element, ballot() -> the ballot's fields ({choices},
 *                               {rating}, {ranking} or {words}) or null while incomplete, problem() -> text or null,
 *                               show(ballot) to mark a ballot already cast }
 *  results(poll)                what a chart shows: { labels: [...], values: [...], unit }; only called when the
 *                               reader may see the counts (see withheld)
 *  summary(poll)                a line above the chart (a rating's average), or null
 *  resultsElement(poll, owner)  the results as elements (bars, or a word cloud); owner: null, or the owner's
 *                               actions { hide(text), show(text) } on a word cloud's words
 *  chart                        false when a chart of results(poll) says nothing (a word cloud): show
 *                               resultsElement instead
 *  draftFields()                the organizer's kind-specific inputs: { element, draft(optionCount) -> fields }
 */
export function defineKind(name, renderer) {
  kinds.set(name, {
    usesOptions: true, chart: true, summary: () => null, resultsVisible: () => true,
    resultsElement: (poll) => barsOf(renderer.results(poll)), ...renderer, name,
  });
}

/** The renderer of a poll's kind; a kind this page does not know yet is shown as results only. */
export function kindOf(poll) {
  return kinds.get(poll.kind) || unsupported;
}

export function allKinds() {
  return [...kinds.values()];
}

/** Whether the counts are withheld from this reader (hidden results not revealed yet). */
export function withheld(poll) {
  return poll.resultsWithheld === true;
}

export const WITHHELD_TEXT = 'The results are hidden until the presenter reveals them.';

/** "Round 2" from the second round on, else null. */
export function roundText(poll) {
  return poll.round > 1 ? `Round ${poll.round}` : null;
}

/**
 * Fills {@code container} with a poll's results as this reader may see them: the round (from the second), the
 * kind's summary and its results, or the notice that they are hidden.
 */
export function renderResults(container, poll, owner = null) {
  const kind = kindOf(poll);
  const round = roundText(poll);
  if (withheld(poll)) {
    fill(container, round && el('p', { class: 'round' }, round),
      el('p', { class: 'withheld notice' }, WITHHELD_TEXT));
    return;
  }
  const summary = kind.summary(poll);
  fill(container, round && el('p', { class: 'round' }, round),
    summary && el('p', { class: 'summary' }, summary),
    kind.resultsElement(poll, owner));
}

function barsOf(data) {
  const list = el('ol', { class: 'bars' });
  renderBars(list, data);
  return list;
}

const count = (n) => n ?? 0;

function optionResults(poll) {
  return { labels: poll.options.map((o) => o.label), values: poll.options.map((o) => count(o.votes)), unit: 'Votes' };
}

/** Radio buttons or check boxes, one per option, labelled by the option's text. */
function choiceForm(poll, onChange, multiple) {
  const name = `choice-${poll.id}`;
  const inputs = poll.options.map((option) => el('input', {
    type: multiple ? 'checkbox' : 'radio', name, value: option.index, id: `${name}-${option.index}`,
  }));
  const hint = multiple
    ? el('p', { class: 'hint', id: `${name}-hint` },
      poll.maxChoices === 1 ? 'Pick one.' : `Pick up to ${poll.maxChoices}.`)
    : null;
  const list = el('div', { class: 'choices' }, poll.options.map((option, i) => el('label',
    { class: 'choice', for: inputs[i].id }, inputs[i], el('span', {}, option.label))));
  const chosen = () => inputs.filter((input) => input.checked).map((input) => Number(input.value));
  const update = () => {
    if (multiple) {
      const full = chosen().length >= poll.maxChoices;
      inputs.forEach((input) => { input.disabled = full && !input.checked; });
    }
    onChange();
  };
  inputs.forEach((input) => input.addEventListener('change', update));
  return {
    element: el('div', { role: multiple ? 'group' : 'radiogroup', 'aria-describedby': hint ? hint.id : null },
      hint, list),
    ballot() {
      const choices = chosen();
      return choices.length === 0 ? null : { choices };
    },
    problem() {
      return chosen().length === 0 ? (multiple ? 'Pick at least one option.' : 'Pick an option.') : null;
    },
    show(ballot) {
      const choices = Array.isArray(ballot) ? ballot : (ballot && ballot.choices) || [];
      inputs.forEach((input) => { input.checked = choices.includes(Number(input.value)); });
      update();
    },
  };
}

defineKind('single', {
  label: 'Single choice',
  ballotForm: (poll, onChange) => choiceForm(poll, onChange, false),
  results: optionResults,
  draftFields: () => ({ element: null, draft: () => ({ kind: 'single' }) }),
});

defineKind('multiple', {
  label: 'Multiple choice',
  ballotForm: (poll, onChange) => choiceForm(poll, onChange, true),
  results: optionResults,
  draftFields() {
    const input = el('input', { type: 'number', min: 1, max: 32, id: 'max-choices', name: 'maxChoices' });
    return {
      element: el('div', { class: 'field' },
        el('label', { for: 'max-choices' }, 'Most choices per voter (empty: all)'), input),
      draft: () => (input.value ? { kind: 'multiple', maxChoices: Number(input.value) } : { kind: 'multiple' }),
    };
  },
});

// ------------------------------------------------------------------------------------------------------- rating

function points(scale) {
  const all = [];
  for (let p = scale.min; p <= scale.max; p += 1) all.push(p);
  return all;
}

/** A point's name: its number, with the scale's label at either end. */
function pointLabel(scale, p) {
  if (p === scale.min && scale.minLabel) return `${p} (${scale.minLabel})`;
  if (p === scale.max && scale.maxLabel) return `${p} (${scale.maxLabel})`;
  return String(p);
}

defineKind('rating', {
  label: 'Rating scale',
  usesOptions: false,
  ballotForm(poll, onChange) {
    const { scale } = poll;
    const name = `rating-${poll.id}`;
    const inputs = points(scale).map((p) => el('input', {
      type: 'radio', name, value: p, id: `${name}-${p}`, 'aria-label': pointLabel(scale, p),
    }));
    inputs.forEach((input) => input.addEventListener('change', onChange));
    const ends = el('p', { class: 'scale-ends', id: `${name}-ends` },
      el('span', {}, scale.minLabel ? `${scale.min}: ${scale.minLabel}` : ''),
      el('span', {}, scale.maxLabel ? `${scale.max}: ${scale.maxLabel}` : ''));
    const chosen = () => {
      const checked = inputs.find((input) => input.checked);
      return checked ? Number(checked.value) : null;
    };
    return {
      element: el('div', { role: 'radiogroup', 'aria-describedby': ends.id, class: 'rating' },
        el('p', { class: 'hint' }, `Rate from ${scale.min} to ${scale.max}.`),
        el('div', { class: 'scale' }, inputs.map((input) => el('label', { class: 'point', for: input.id },
          input, el('span', {}, input.value)))),
        ends),
      ballot() {
        const rating = chosen();
        return rating === null ? null : { rating };
      },
      problem: () => (chosen() === null ? 'Pick a point on the scale.' : null),
      show(ballot) {
        inputs.forEach((input) => { input.checked = ballot && Number(input.value) === ballot.rating; });
      },
    };
  },
  results(poll) {
    const distribution = (poll.rating && poll.rating.distribution) || [];
    const all = points(poll.scale);
    return { labels: all.map((p) => pointLabel(poll.scale, p)), values: all.map((p, i) => count(distribution[i])),
      unit: 'Ratings' };
  },
  summary(poll) {
    const rating = poll.rating || { count: 0, average: null };
    if (!rating.count || rating.average === null || rating.average === undefined) return 'No ratings yet.';
    return `Average ${rating.average.toFixed(2)} of ${poll.scale.max} from ${rating.count} `
      + `${rating.count === 1 ? 'rating' : 'ratings'}`;
  },
  draftFields() {
    const field = (id, text, input) => el('div', { class: 'field' }, el('label', { for: id }, text), input);
    const min = el('input', { type: 'number', id: 'scale-min', min: 0, max: 100, value: 1 });
    const max = el('input', { type: 'number', id: 'scale-max', min: 1, max: 101, value: 5 });
    const minLabel = el('input', { type: 'text', id: 'scale-min-label', maxlength: 200 });
    const maxLabel = el('input', { type: 'text', id: 'scale-max-label', maxlength: 200 });
    return {
      element: el('div', { class: 'grid' },
        field('scale-min', 'Lowest point', min), field('scale-max', 'Highest point', max),
        field('scale-min-label', 'Label of the lowest (optional)', minLabel),
        field('scale-max-label', 'Label of the highest (optional)', maxLabel)),
      draft() {
        const scale = { min: Number(min.value), max: Number(max.value) };
        if (minLabel.value.trim()) scale.minLabel = minLabel.value.trim();
        if (maxLabel.value.trim()) scale.maxLabel = maxLabel.value.trim();
        return { kind: 'rating', scale };
      },
    };
  },
});

// ------------------------------------------------------------------------------------------------------ ranking

function ordinal(n) {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th');
  return `${n}${suffix}`;
}

defineKind('ranking', {
  label: 'Ranking',
  ballotForm(poll, onChange) {
    const limit = Math.min(poll.maxRanked || poll.options.length, poll.options.length);
    let order = poll.options.map((o) => o.index);
    const labelOf = (index) => poll.options.find((o) => o.index === index).label;
    const list = el('ol', { class: 'ranking', id: `ranking-${poll.id}` });
    const status = el('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    const draw = (focus) => {
      fill(list, order.map((index, position) => {
        const label = labelOf(index);
        const up = el('button', { type: 'button', class: 'move', 'data-move': 'up', 'aria-label': `Move ${label} up`,
          disabled: position === 0 }, '↑');
        const down = el('button', { type: 'button', class: 'move', 'data-move': 'down',
          'aria-label': `Move ${label} down`, disabled: position === order.length - 1 }, '↓');
        up.addEventListener('click', () => move(position, -1, 'up'));
        down.addEventListener('click', () => move(position, 1, 'down'));
        const ranked = position < limit;
        return el('li', { class: ranked ? 'ranked' : 'unranked', 'data-option': index },
          el('span', { class: 'place' }, ranked ? ordinal(position + 1) : '–'),
          el('span', { class: 'label' }, label), up, down);
      }));
      if (focus) {
        const [index, direction] = focus;
        const row = list.querySelector(`li[data-option="${index}"]`);
        const button = row.querySelector(`button[data-move="${direction}"]`);
        (button.disabled ? row.querySelector('button:not([disabled])') : button).focus();
      }
    };
    const move = (position, by, direction) => {
      const to = position + by;
      if (to < 0 || to >= order.length) return;
      const index = order[position];
      order = order.slice();
      order.splice(position, 1);
      order.splice(to, 0, index);
      draw([index, direction]);
      status.textContent = `${labelOf(index)}: ${to < limit ? `${ordinal(to + 1)} place` : 'not ranked'}`;
      onChange();
    };
    draw(null);
    const hint = limit < order.length
      ? `Put your favourite first with the arrow buttons; the first ${limit} count.`
      : 'Put your favourite first with the arrow buttons.';
    return {
      element: el('div', { class: 'ranking-form', role: 'group', 'aria-describedby': `ranking-hint-${poll.id}` },
        el('p', { class: 'hint', id: `ranking-hint-${poll.id}` }, hint), list, status),
      ballot: () => ({ ranking: order.slice(0, limit) }),
      problem: () => null,
      show(ballot) {
        const ranked = (ballot && ballot.ranking) || [];
        if (ranked.length === 0) return;
        order = [...ranked, ...order.filter((index) => !ranked.includes(index))];
        draw(null);
      },
    };
  },
  results(poll) {
    const sorted = rankingOrder(poll);
    return { labels: sorted.map((o) => o.label), values: sorted.map((o) => count(o.points)), unit: 'Points' };
  },
  resultsElement(poll) {
    const sorted = rankingOrder(poll);
    const list = barsOf({ labels: sorted.map((o) => o.label), values: sorted.map((o) => count(o.points)) });
    [...list.children].forEach((row, i) => {
      const o = sorted[i];
      row.dataset.option = o.index;
      row.querySelector('.count').textContent = `${count(o.points)} ${count(o.points) === 1 ? 'point' : 'points'}`
        + (o.averagePosition === null || o.averagePosition === undefined
          ? ', not ranked yet' : `, average place ${o.averagePosition.toFixed(1)}`);
    });
    return list;
  },
  draftFields() {
    const input = el('input', { type: 'number', min: 1, max: 32, id: 'max-ranked', name: 'maxRanked' });
    return {
      element: el('div', { class: 'field' },
        el('label', { for: 'max-ranked' }, 'Places to rank (empty: all)'), input),
      draft: () => (input.value ? { kind: 'ranking', maxRanked: Number(input.value) } : { kind: 'ranking' }),
    };
  },
});

/** A ranking's options, most points first (then the better average place, then the option's order). */
function rankingOrder(poll) {
  const place = (o) => (o.averagePosition === null || o.averagePosition === undefined ? Infinity : o.averagePosition);
  return poll.options.slice().sort((a, b) => count(b.points) - count(a.points) || place(a) - place(b)
    || a.index - b.index);
}

// --------------------------------------------------------------------------------------------------- word cloud

const MAX_WORD = 40;

/** A word as the server counts it: trimmed, runs of whitespace as one space, NFC. */
function normalizeWord(text) {
  return String(text).trim().replace(/\s+/g, ' ').normalize('NFC');
}

/** The word's size class, 1 to 6, by its count against the most frequent word's. */
function sizeOf(wordCount, top) {
  if (top <= 1) return 3;
  return 1 + Math.round((5 * (wordCount - 1)) / (top - 1));
}

defineKind('wordcloud', {
  label: 'Word cloud',
  usesOptions: false,
  chart: false,
  ballotForm(poll) {
    const max = poll.maxWords || 1;
    const inputs = [];
    for (let i = 0; i < max; i += 1) {
      inputs.push(el('input', { type: 'text', id: `word-${poll.id}-${i}`, autocomplete: 'off', spellcheck: 'true',
        'aria-describedby': `words-hint-${poll.id}` }));
    }
    const words = () => inputs.map((input) => normalizeWord(input.value)).filter(Boolean);
    return {
      element: el('div', { class: 'words' },
        el('p', { class: 'hint', id: `words-hint-${poll.id}` },
          max === 1 ? `One word or a few, up to ${MAX_WORD} characters.`
            : `Up to ${max} words or short phrases, ${MAX_WORD} characters each.`),
        inputs.map((input, i) => el('div', { class: 'field' },
          el('label', { for: input.id }, max === 1 ? 'Your word' : `Word ${i + 1}`), input))),
      ballot() {
        const typed = words();
        return typed.length === 0 ? null : { words: typed };
      },
      problem() {
        const typed = words();
        if (typed.length === 0) return 'Write a word.';
        if (typed.some((w) => [...w].length > MAX_WORD)) return `A word has at most ${MAX_WORD} characters.`;
        if (new Set(typed.map((w) => w.toLowerCase())).size !== typed.length) return 'Write each word once.';
        return null;
      },
      show(ballot) {
        const typed = (ballot && ballot.words) || [];
        inputs.forEach((input, i) => { input.value = typed[i] || ''; });
      },
    };
  },
  results(poll) {
    const words = poll.words || [];
    return { labels: words.map((w) => w.text), values: words.map((w) => w.count), unit: 'Mentions' };
  },
  resultsElement(poll, owner) {
    const words = poll.words || [];
    const top = words.reduce((m, w) => Math.max(m, w.count), 0);
    const cloud = words.length === 0
      ? el('p', { class: 'notice' }, 'No words yet.')
      : el('ul', { class: 'cloud', 'aria-label': 'Words, most frequent first' }, words.map((w) => el('li',
        { class: `word size-${sizeOf(w.count, top)}`, 'data-count': w.count },
        el('span', { class: 'text' }, w.text),
        el('span', { class: 'visually-hidden' }, ` (${w.count})`),
        owner && el('button', { type: 'button', class: 'hide-word', 'aria-label': `Hide ${w.text}`,
          onclick: () => owner.hide(w.text) }, 'Hide'))));
    if (!owner) return cloud;
    const hidden = poll.hiddenWords || [];
    return el('div', { class: 'cloud-box' }, cloud, hidden.length === 0 ? null : el('div', { class: 'hidden-words' },
      el('p', { class: 'hint' }, 'Hidden from the audience:'),
      el('ul', {}, hidden.map((w) => el('li', {},
        el('span', { class: 'text' }, w.text), ` (${w.count}) `,
        el('button', { type: 'button', class: 'show-word', 'aria-label': `Show ${w.text} again`,
          onclick: () => owner.show(w.text) }, 'Show'))))));
  },
  draftFields() {
    const input = el('input', { type: 'number', min: 1, max: 10, id: 'max-words', name: 'maxWords' });
    return {
      element: el('div', { class: 'field' },
        el('label', { for: 'max-words' }, 'Words per voter (1 to 10, empty: 1)'), input),
      draft: () => (input.value ? { kind: 'wordcloud', maxWords: Number(input.value) } : { kind: 'wordcloud' }),
    };
  },
});

const unsupported = {
  name: 'unsupported',
  label: 'Unknown kind',
  usesOptions: true,
  chart: true,
  ballotForm: () => ({
    element: el('p', { class: 'notice' }, 'This page cannot show this kind of poll yet.'),
    ballot: () => null,
    problem: () => 'This kind of poll cannot be answered here yet.',
    show: () => {},
  }),
  results: optionResults,
  summary: () => null,
  resultsElement: (poll) => barsOf(optionResults(poll)),
  resultsVisible: () => true,
};
