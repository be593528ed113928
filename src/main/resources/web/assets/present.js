// The presenter screen, /present/{id}: the live chart, the total, and how to join (address, QR code, code).
import { api, claimsOf, el, fill, LiveConnection, organizerToken, withTally } from './common.js';
import { kindOf } from './kinds.js';

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
  if (!chart) {
    Chart.defaults.font.size = 22;
    Chart.defaults.color = '#111';
    chart = new Chart($('chart'), {
      type: 'bar',
      data: { labels, datasets: [{ label: 'Votes', data: data.values, backgroundColor: '#1f5fbf', borderRadius: 6 }] },
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

function render(view) {
  poll = view;
  const kind = kindOf(poll);
  $('question').textContent = poll.question;
  document.title = `${poll.question} · Livepoll`;
  const data = kind.results(poll);
  fill($('counts').tBodies[0], data.labels.map((label, i) => el('tr', { 'data-option': i },
    el('th', { scope: 'row' }, label), el('td', {}, data.values[i]))));
  $('total').textContent = poll.totalBallots;
  $('total-unit').textContent = poll.totalBallots === 1 ? 'vote' : 'votes';
  $('closed-badge').hidden = poll.status !== 'closed';
  drawChart(data);
  showOwnerControls();
}

function showOwnerControls() {
  const token = organizerToken();
  const claims = token && claimsOf(token);
  const owner = claims && (claims.kind === 'admin' || claims.sub === poll.owner);
  $('owner-controls').hidden = !owner;
  $('close-poll').disabled = poll.status === 'closed';
}

async function closePoll() {
  $('close-poll').disabled = true;
  try {
    render(await api('POST', `/api/polls/${pollId}/close`, { token: organizerToken(), body: undefined }));
    $('control-outcome').textContent = 'The poll is closed.';
  } catch (e) {
    $('control-outcome').textContent = `Not closed: ${e.message}`;
    $('close-poll').disabled = false;
  }
}

async function showJoin() {
  try {
    const join = await api('GET', `/api/polls/${pollId}/join`);
    // host and path on lines of their own when the address does not fit on one
    const address = join.url.replace(/^https?:\/\//, '');
    const slash = address.indexOf('/');
    fill($('join-url'), el('span', {}, address.slice(0, slash)), el('span', {}, address.slice(slash)));
    $('code').textContent = join.code || '—';
    $('qr').src = `/api/polls/${encodeURIComponent(pollId)}/qr.svg`;
  } catch (e) {
    $('question').textContent = e.status === 404 ? 'No such poll' : `The poll could not be loaded: ${e.message}`;
    return false;
  }
  return true;
}

async function start() {
  $('close-poll').addEventListener('click', closePoll);
  $('fullscreen').addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
  if (!(await showJoin())) return;
  new LiveConnection(pollId, {
    onSnapshot: render,
    onTally: (frame) => { if (poll) render(withTally(poll, frame)); },
    onState: (state) => {
      $('connection').textContent = { connecting: 'Connecting…', live: 'Live', offline: 'Reconnecting…' }[state];
      $('connection').dataset.state = state;
    },
  });
}

start();
