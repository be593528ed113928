// One renderer per kind of poll. A page asks kindOf(poll) and never looks at poll.kind itself, so a new kind of
// poll (a rating, a ranking, a word cloud...) is one defineKind call here, and every page shows it.
import { el } from './common.js';

const kinds = new Map();

/**
 * A renderer:
 *  label                        the kind's name in the organizer's form
 *  ballotForm(poll, onChange)   the voter's inputs: { element, ballot() -> {choices} or null while incomplete,
 *                               problem() -> text or null, show(choices) to mark a ballot already cast }
 *  results(poll)                what a chart shows: { labels: [...], values: [...] }
 *  resultsVisible(poll)         whether voters may see the results now
 *  draftFields()                the organizer's kind-specific inputs: { element, draft(optionCount) -> fields }
 */
export function defineKind(name, renderer) {
  kinds.set(name, { resultsVisible: () => true, ...renderer, name });
}

/** The renderer of a poll's kind; a kind this page does not know yet is shown as results only. */
export function kindOf(poll) {
  return kinds.get(poll.kind) || unsupported;
}

export function allKinds() {
  return [...kinds.values()];
}

function optionResults(poll) {
  return { labels: poll.options.map((o) => o.label), values: poll.options.map((o) => o.votes) };
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
    show(choices) {
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

const unsupported = {
  name: 'unsupported',
  label: 'Unknown kind',
  ballotForm: () => ({
    element: el('p', { class: 'notice' }, 'This page cannot show this kind of poll yet.'),
    ballot: () => null,
    problem: () => 'This kind of poll cannot be answered here yet.',
    show: () => {},
  }),
  results: optionResults,
  resultsVisible: () => true,
};
