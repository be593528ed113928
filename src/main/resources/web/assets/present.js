// The presenter screen, /present/{id}: the live chart, the total, and how to join (address, QR code, code).
import { api, claimsOf, el, fill, LiveConnection, organizerToken, withTally } from './common.js';
import { kindOf, renderResults, roundText, WITHHELD_TEXT } from './kinds.js';

const $ = (id) => document.getElementById(id);
const pollId = decodeURIComponent(location.pathname.split('/')[2] || '');
let poll = null;
let chart = null;

/** Long labels wrap instead of running off a projector. */
function wrap(label, width = 28) {
  const words = String(label).split(/\s+/);
  const lines = [];
  let line = '';
  for (const word of words) {
    if (line && (line + ' ' + word).length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function drawChart(data) {
  const labels = data.labels.map((label) => wrap(label));
  if (typeof Chart === 'undefined') return; // the table still has the numbers
  if (chart && chart.data.datasets[0].label !== data.unit) {
    chart.destroy();
    chart = null;
  }
  if (!chart) {
    Chart.defaults.font.size = 22;
    Chart.defaults.color = '#111';
    chart = new Chart($('chart'), {
      type: 'bar',
      data: { labels, datasets: [{ label: data.unit, data: data.values, backgroundColor: '#1f5fbf', borderRadius: 6 }] },
      options: {
        indexAxis: 'y',
        maintainAspectRatio: false,
        animation: { duration: 400 },
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 }, grid: { color: '#ddd' } },
          y: { ticks: { font: { size: 26, weight: 'bold' } }, grid: { display: false } },
        },
      },
    });
  } else {
    chart.data.labels = labels;
    chart.data.datasets[0].data = data.values;
    chart.update();
  }
}

/** The organizer token of this browser while it is still valid, or null. */
function signedInToken() {
  const token = organizerToken();
  const claims = token && claimsOf(token);
  if (!claims || (claims.exp && claims.exp * 1000 < Date.now() + 60000)) return null;
  return token;
}

/** Whether this browser is signed in as the poll's owner or an admin. */
function isOwner() {
  const claims = claimsOf(signedInToken() || '');
  return Boolean(claims && (claims.kind === 'admin' || claims.sub === poll.owner));
}

/** The owner's actions on a word cloud's words. */
const wordActions = {
  hide: (text) => ownerAction('POST', 'hidden-words', { text }, `"${text}" is hidden from the audience.`, 'Not hidden'),
  show: (text) => ownerAction('DELETE', 'hidden-words', { text }, `"${text}" is shown again.`, 'Not shown'),
};

function render(view) {
  poll = view;
  const kind = kindOf(poll);
  const owner = isOwner();
  $('question').textContent = poll.question;
  document.title = `${poll.question} · Livepoll`;
  const round = roundText(poll);
  $('round').textContent = round || '';
  $('round').hidden = !round;
  const hidden = poll.resultsWithheld === true;
  const hiddenFromAudience = poll.resultsVisibility === 'hidden' && !poll.revealedAt;
  $('withheld').textContent = hidden ? WITHHELD_TEXT
    : (hiddenFromAudience ? 'The audience does not see these results until you reveal them.' : '');
  $('withheld').hidden = !hidden && !hiddenFromAudience;
  const summary = hidden ? null : kind.summary(poll);
  $('summary').textContent = summary || '';
  $('summary').hidden = !summary;
  const data = hidden ? { labels: [], values: [], unit: 'Votes' } : kind.results(poll);
  $('counts-unit').textContent = data.unit || 'Votes';
  fill($('counts').tBodies[0], data.labels.map((label, i) => el('tr', { 'data-option': i },
    el('th', { scope: 'row' }, label), el('td', {}, data.values[i]))));
  $('total').textContent = poll.totalBallots;
  $('total-unit').textContent = poll.totalBallots === 1 ? 'vote' : 'votes';
  $('closed-badge').hidden = poll.status !== 'closed';
  $('chart-box').hidden = hidden || !kind.chart;
  $('cloud').hidden = hidden || kind.chart;
  if (!hidden && !kind.chart) {
    renderResults($('cloud'), { ...poll, round: 1 }, owner ? wordActions : null);
  } else if (!hidden) {
    drawChart(data);
  }
  showOwnerControls(owner);
}

function showOwnerControls(owner) {
  $('owner-controls').hidden = !owner;
  $('close-poll').disabled = poll.status === 'closed';
  $('new-round').disabled = poll.status === 'closed';
  $('reveal').hidden = !(poll.resultsVisibility === 'hidden' && !poll.revealedAt);
}

/** An owner's request on this poll; its answer (the owner's view) is shown at once. */
async function ownerAction(method, path, body, done, failed, button) {
  if (button) button.disabled = true;
  try {
    render(await api(method, `/api/polls/${pollId}/${path}`, { token: signedInToken(), body }));
    $('control-outcome').textContent = done;
  } catch (e) {
    $('control-outcome').textContent = `${failed}: ${e.message}`;
    if (button) button.disabled = false;
    if (poll) showOwnerControls(isOwner());
  }
}

const closePoll = () => ownerAction('POST', 'close', undefined, 'The poll is closed.', 'Not closed', $('close-poll'));
const reveal = () => ownerAction('POST', 'reveal', undefined, 'The results are revealed to everyone.', 'Not revealed',
  $('reveal'));
const newRound = () => ownerAction('POST', 'rounds', undefined, 'A new round has begun: everyone may vote again.',
  'No new round', $('new-round'));

async function showJoin() {
  try {
    // an invited poll exists only for its owner: the address and the QR code are asked with the owner's token
    const token = signedInToken();
    const join = await api('GET', `/api/polls/${pollId}/join`, { token });
    // host and path on lines of their own when the address does not fit on one
    const address = join.url.replace(/^https?:\/\//, '');
    const slash = address.indexOf('/');
    fill($('join-url'), el('span', {}, address.slice(0, slash)), el('span', {}, address.slice(slash)));
    $('code').textContent = join.code || '—';
    const qr = await fetch(`/api/polls/${encodeURIComponent(pollId)}/qr.svg`,
      { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    // a data: address: the pages' Content-Security-Policy allows images from data: and the server only
    if (qr.ok) $('qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await qr.text())}`;
  } catch (e) {
    $('question').textContent = e.status === 404 ? 'No such poll' : `The poll could not be loaded: ${e.message}`;
    return false;
  }
  return true;
}

async function start() {
  $('close-poll').addEventListener('click', closePoll);
  $('reveal').addEventListener('click', reveal);
  $('new-round').addEventListener('click', newRound);
  $('fullscreen').addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
  if (!(await showJoin())) return;
  // opened with the organizer token of this browser, if any: the owner's socket also carries hidden results and
  // hidden words; anyone else's token gets everyone's frames
  let refused = 0;
  const connection = new LiveConnection(pollId, {
    token: signedInToken(),
    onSnapshot: render,
    onTally: (frame) => { if (poll) render(withTally(poll, frame)); },
    onState: (state) => {
      // a token this server does not take (another server's) must not keep the screen dark: watch without it
      if (state === 'live') refused = -Infinity;
      if (state === 'offline' && (refused += 1) >= 3 && connection.token) connection.token = null;
      $('connection').textContent = { connecting: 'Connecting…', live: 'Live', offline: 'Reconnecting…' }[state];
      $('connection').dataset.state = state;
    },
  });
}

start();
