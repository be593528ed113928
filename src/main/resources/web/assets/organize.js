// The organizer console, /organize: sign in with an organizer token, open polls, list them, and per poll: the
// presenter screen, closing, invite links as CSV, participation and timeline, and the CSV export.
import { api, ApiError, claimsOf, el, fill, organizerToken, store } from './common.js';
import { allKinds, kindOf } from './kinds.js';

const $ = (id) => document.getElementById(id);
const MAX_OPTIONS = 32;
const REFRESH_MS = 4000;

let token = null;
let listed = [];               // the catalogue's items, newest first
let opened = new Map();        // polls opened from this page, until the catalogue lists them
let nextCursor = null;
let kindFields = null;
let timelineChart = null;

// ------------------------------------------------------------------------------------------------------ sign in

function showSignedIn() {
  const claims = claimsOf(token) || {};
  $('who').textContent = `Signed in as ${claims.sub}${claims.kind === 'admin' ? ' (admin)' : ''}`;
  $('sign-out').hidden = false;
  $('sign-in').hidden = true;
  $('console').hidden = false;
  refresh();
}

function showSignIn() {
  $('who').textContent = '';
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('console').hidden = true;
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const typed = $('token').value.trim();
  const claims = claimsOf(typed);
  const error = $('sign-in-error');
  if (!claims || (claims.kind !== 'organizer' && claims.kind !== 'admin')) {
    error.textContent = 'This is not an organizer token.';
    $('token').setAttribute('aria-invalid', 'true');
    return;
  }
  try {
    await api('GET', '/api/polls?limit=1', { token: typed });
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      error.textContent = `The server refused this token: ${e.message}`;
      $('token').setAttribute('aria-invalid', 'true');
      return;
    }
    // the read side may be down: the token can still open and close polls
  }
  error.textContent = '';
  $('token').value = '';
  $('token').removeAttribute('aria-invalid');
  token = typed;
  store.set('organizer', token);
  showSignedIn();
}

function signOut() {
  store.remove('organizer');
  token = null;
  listed = [];
  opened = new Map();
  showSignIn();
}

// ---------------------------------------------------------------------------------------------- the new poll

function optionRow(value = '') {
  const index = $('options').children.length + 1;
  const input = el('input', { type: 'text', maxlength: 200, 'aria-label': `Option ${index}`, value });
  const remove = el('button', { type: 'button', 'aria-label': `Remove option ${index}` }, 'Remove');
  const row = el('div', { class: 'option-row' }, input, remove);
  remove.addEventListener('click', () => {
    if ($('options').children.length > 2) {
      row.remove();
      renumber();
    }
  });
  return row;
}

function renumber() {
  [...$('options').children].forEach((row, i) => {
    row.querySelector('input').setAttribute('aria-label', `Option ${i + 1}`);
    row.querySelector('button').setAttribute('aria-label', `Remove option ${i + 1}`);
  });
  $('add-option').disabled = $('options').children.length >= MAX_OPTIONS;
}

function resetForm() {
  $('create-form').reset();
  fill($('options'), optionRow(), optionRow());
  renumber();
  chooseKind();
}

function chosenKind() {
  return allKinds().find((k) => k.name === $('kind').value) || allKinds()[0];
}

function chooseKind() {
  const kind = chosenKind();
  kindFields = kind.draftFields();
  fill($('kind-fields'), kindFields.element);
  $('options-fields').hidden = !kind.usesOptions;
}

async function create(event) {
  event.preventDefault();
  const say = (text, tone) => { $('create-outcome').className = `outcome ${tone}`; fill($('create-outcome'), text); };
  const kind = chosenKind();
  const options = kind.usesOptions
    ? [...$('options').querySelectorAll('input')].map((input) => input.value.trim()).filter(Boolean) : [];
  const body = {
    question: $('question').value.trim(),
    ...(kind.usesOptions ? { options } : {}),
    ...kindFields.draft(options.length),
    allowVoteChange: $('allow-change').checked,
    audience: $('audience').value,
    resultsVisibility: $('results-visibility').value,
  };
  if ($('closes-at').value) body.closesAt = new Date($('closes-at').value).toISOString();
  if (!body.question) return say('Write a question.', 'error');
  if (kind.usesOptions && options.length < 2) return say('A poll needs at least two options.', 'error');
  $('create').disabled = true;
  try {
    const poll = await api('POST', '/api/polls', { token, body });
    opened.set(poll.id, {
      id: poll.id, question: poll.question, status: poll.status, totalBallots: poll.totalBallots,
      createdAt: poll.createdAt, closesAt: poll.closesAt,
    });
    renderList();
    say([`Opened "${poll.question}"${poll.joinCode ? `, code ${poll.joinCode}` : ''}. `,
      el('a', { href: `/present/${poll.id}`, target: '_blank', rel: 'noopener' }, 'Open the presenter screen')], 'ok');
    resetForm();
  } catch (e) {
    say(`Not opened: ${e.message}`, 'error');
    if (e.status === 401) signOut();
  } finally {
    $('create').disabled = false;
  }
}

// ------------------------------------------------------------------------------------------------ my polls

async function refresh() {
  if (!token) return;
  try {
    const page = await api('GET', '/api/polls?limit=20', { token });
    listed = page.items;
    nextCursor = page.nextCursor;
    $('polls-outcome').textContent = '';
  } catch (e) {
    if (e.status === 401) {
      signOut();
      return;
    }
    $('polls-outcome').className = 'outcome error';
    $('polls-outcome').textContent = `The list could not be read: ${e.message}`;
  }
  renderList();
}

async function more() {
  if (!nextCursor) return;
  try {
    const page = await api('GET', `/api/polls?limit=20&cursor=${encodeURIComponent(nextCursor)}`, { token });
    listed = listed.concat(page.items);
    nextCursor = page.nextCursor;
    renderList();
  } catch (e) {
    $('polls-outcome').textContent = `Older polls could not be read: ${e.message}`;
  }
}

function renderList() {
  const ids = new Set(listed.map((item) => item.id));
  for (const id of [...opened.keys()]) if (ids.has(id)) opened.delete(id);
  const rows = [...opened.values(), ...listed]
    .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  const body = $('polls').tBodies[0];
  // the list refreshes every few seconds: leave it alone when nothing changed, and keep the keyboard's place when
  // something did, so that a refresh never throws the focus away
  const signature = JSON.stringify(rows.map((r) => [r.id, r.status, r.totalBallots, r.question]));
  if (body.dataset.signature === signature) return;
  body.dataset.signature = signature;
  const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement : null;
  const focusedRow = focused && focused.closest('tr') ? focused.closest('tr').dataset.poll : null;
  const focusedText = focused ? focused.textContent : null;
  fill(body, rows.length === 0
    ? el('tr', {}, el('td', { colspan: 5 }, 'No polls yet: open one above.'))
    : rows.map(pollRow));
  if (focusedRow) {
    const again = [...body.querySelectorAll(`tr[data-poll="${focusedRow}"] a, tr[data-poll="${focusedRow}"] button`)]
      .find((control) => control.textContent === focusedText);
    if (again) again.focus();
  }
  $('more').hidden = !nextCursor;
}

function pollRow(item) {
  const closeButton = item.status === 'open'
    ? el('button', { type: 'button', onclick: () => closePoll(item) }, 'Close') : null;
  return el('tr', { 'data-poll': item.id },
    el('td', { class: 'question' }, item.question),
    el('td', { class: `status-${item.status}` }, item.status),
    el('td', {}, item.totalBallots),
    el('td', {}, new Date(item.createdAt).toLocaleString()),
    el('td', { class: 'actions' },
      el('a', { href: `/present/${item.id}`, target: '_blank', rel: 'noopener' }, 'Present'),
      el('a', { href: `/p/${item.id}`, target: '_blank', rel: 'noopener' }, 'Voter page'),
      closeButton,
      el('button', { type: 'button', onclick: () => showDetails(item.id) }, 'Details')));
}

async function closePoll(item) {
  try {
    const poll = await api('POST', `/api/polls/${item.id}/close`, { token });
    item.status = poll.status;
    item.totalBallots = poll.totalBallots;
    renderList();
  } catch (e) {
    $('polls-outcome').className = 'outcome error';
    $('polls-outcome').textContent = `Not closed: ${e.message}`;
  }
}

// ---------------------------------------------------------------------------------------- one poll's details

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A CSV cell: quoted, and never read as a formula by a spreadsheet. */
function cell(text) {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

async function showDetails(pollId) {
  const section = $('details');
  section.hidden = false;
  const body = $('details-body');
  fill(body, el('p', {}, 'Loading…'));
  $('details-title').focus();
  let poll;
  let join;
  try {
    [poll, join] = await Promise.all([api('GET', `/api/polls/${pollId}`, { token }), api('GET', `/api/polls/${pollId}/join`, { token })]);
  } catch (e) {
    fill(body, el('p', { class: 'outcome error' }, `The poll could not be read: ${e.message}`));
    return;
  }
  $('details-question').textContent = poll.question;
  const outcome = el('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
  const parts = [
    el('p', {}, 'Join address: ', el('a', { href: join.url, target: '_blank', rel: 'noopener' }, join.url),
      join.code ? ` (code ${join.code})` : ' (this poll has no join code: it is older than join codes)'),
    el('p', {}, `${kindOf(poll).label}, ${poll.audience === 'invited' ? 'invited voters only' : 'public'}, `
      + `${poll.resultsVisibility === 'hidden' ? (poll.revealedAt ? 'results revealed' : 'results hidden') : 'live results'}, `
      + `${poll.round > 1 ? `round ${poll.round}, ` : ''}${poll.status}, `
      + `${poll.totalBallots} ${poll.totalBallots === 1 ? 'vote' : 'votes'}.`),
  ];
  if (poll.audience === 'invited' && poll.status === 'open') {
    const count = el('input', { type: 'number', min: 1, max: 1000, value: 10, id: 'invite-count' });
    const mint = el('button', { type: 'button', id: 'mint' }, 'Mint invite links and download CSV');
    mint.addEventListener('click', async () => {
      mint.disabled = true;
      try {
        const minted = await api('POST', `/api/polls/${pollId}/invites`, { token, body: { count: Number(count.value) } });
        const base = join.url.replace(/\/p\/[^/]*$/, '');
        const rows = minted.invites.map((i) => `${cell(i.voterId)},${cell(`${base}/p/${pollId}?invite=${i.token}`)}`);
        download(`invites-${pollId}.csv`, 'text/csv', `voter,link\r\n${rows.join('\r\n')}\r\n`);
        outcome.className = 'outcome ok';
        outcome.textContent = `${minted.invites.length} invite links minted and downloaded.`;
      } catch (e) {
        outcome.className = 'outcome error';
        outcome.textContent = `No invites: ${e.message}`;
      } finally {
        mint.disabled = false;
      }
    });
    parts.push(el('h3', {}, 'Invites'), el('label', { for: 'invite-count' }, 'How many'), count, mint);
  }
  const exportButton = el('button', { type: 'button', id: 'export' }, 'Download results (CSV)');
  exportButton.addEventListener('click', () => exportCsv(pollId, outcome));
  const bucket = el('select', { id: 'bucket' }, ['1m', '5m', '15m', '1h', '1d'].map((b) => el('option', { value: b }, b)));
  const figures = el('dl', { class: 'stats-figures' });
  const canvas = el('canvas', { id: 'timeline', role: 'img', 'aria-label': 'Ballots per time bucket' });
  bucket.addEventListener('change', () => showActivity(pollId, bucket.value, figures, canvas));
  parts.push(el('h3', {}, 'Participation'), figures,
    el('label', { for: 'bucket' }, 'Timeline bucket'), bucket,
    el('div', { class: 'timeline-box' }, canvas),
    el('p', {}, exportButton), outcome);
  fill(body, parts);
  showActivity(pollId, bucket.value, figures, canvas);
}

async function showActivity(pollId, bucket, figures, canvas) {
  try {
    const [stats, timeline] = await Promise.all([
      api('GET', `/api/polls/${pollId}/stats`, { token }),
      api('GET', `/api/polls/${pollId}/timeline?bucket=${bucket}`, { token }),
    ]);
    const figure = (name, value) => el('div', {}, el('dt', {}, name), el('dd', {}, value ?? '—'));
    fill(figures,
      figure('Voters', stats.uniqueVoters),
      figure('Ballots cast', stats.ballotsCast),
      figure('Changed', stats.ballotsChanged),
      figure('Retracted', stats.ballotsRetracted),
      figure('Busiest bucket', stats.peakBucket ? `${stats.peakBucket.ballots} ballots` : null));
    drawTimeline(canvas, timeline);
  } catch (e) {
    fill(figures, el('p', { class: 'hint' }, e.status === 404
      ? 'No activity yet: the read side has not seen this poll (a new poll takes a moment).'
      : `Participation could not be read: ${e.message}`));
  }
}

function drawTimeline(canvas, timeline) {
  if (typeof Chart === 'undefined') return;
  const labels = timeline.buckets.map((b) => new Date(b.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  const series = (key) => timeline.buckets.map((b) => b[key]);
  if (timelineChart) timelineChart.destroy();
  timelineChart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'Cast', data: series('cast'), backgroundColor: '#1f5fbf' },
        { label: 'Changed', data: series('changed'), backgroundColor: '#e08a00' },
        { label: 'Retracted', data: series('retracted'), backgroundColor: '#a3141b' },
      ],
    },
    options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

async function exportCsv(pollId, outcome) {
  try {
    const response = await fetch(`/api/polls/${pollId}/export.csv`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new ApiError(response.status, problem.title, problem.detail || response.statusText);
    }
    download(`poll-${pollId}.csv`, 'text/csv', await response.text());
    outcome.className = 'outcome ok';
    outcome.textContent = 'Results downloaded.';
  } catch (e) {
    outcome.className = 'outcome error';
    outcome.textContent = `No export: ${e.message}`;
  }
}

// ------------------------------------------------------------------------------------------------------ start

function start() {
  fill($('kind'), allKinds().map((kind) => el('option', { value: kind.name }, kind.label)));
  $('kind').addEventListener('change', chooseKind);
  $('add-option').addEventListener('click', () => {
    if ($('options').children.length < MAX_OPTIONS) {
      $('options').append(optionRow());
      renumber();
      $('options').lastElementChild.querySelector('input').focus();
    }
  });
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('create-form').addEventListener('submit', create);
  $('more').addEventListener('click', more);
  resetForm();
  token = organizerToken();
  if (token) showSignedIn(); else showSignIn();
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
}

start();
