// FlashCache dashboard: one sample a second from /events (server-sent events),
// the last five minutes kept and drawn with uPlot. Counters arrive as totals;
// rates are differences between consecutive samples.
(() => {
  const KEEP = 300;
  const data = {
    t: [], ops: [], p50: [], p99: [], used: [], rss: [], keys: [], hit: [], syncs: [], group: [], clients: [], blocked: [],
  };
  window.__dashboard = { samples: 0, data, last: null };
  let prev = null;
  const width = () => Math.max(300, document.querySelector('.panel').clientWidth - 20);
  const series = (labels, scales) => [{}, ...labels.map((label, i) => ({ label, stroke: ['#2f6fde', '#e0592a', '#2a9d5b'][i], width: 1.5, scale: scales ? scales[i] : 'y' }))];
  // Value axes wide enough for "100,000" (uPlot's default size cuts such labels).
  const make = (id, labels, cols, axes) =>
    new uPlot({ width: width(), height: 200, series: series(labels, axes && axes.scales), axes: axes ? axes.axes : [{}, { size: 70 }] }, [data.t, ...cols.map((c) => data[c])], document.getElementById(id));
  const charts = [
    [make('chart-ops', ['ops/s'], ['ops']), ['ops']],
    [make('chart-latency', ['p50 µs', 'p99 µs'], ['p50', 'p99'], { scales: ['y', 'y'], axes: [{}, { size: 70 }] }), ['p50', 'p99']],
    [make('chart-memory', ['used MiB', 'RSS MiB', 'keys'], ['used', 'rss', 'keys'], {
      scales: ['y', 'y', 'keys'],
      axes: [{}, { size: 60 }, { scale: 'keys', side: 1, size: 70, grid: { show: false } }],
    }), ['used', 'rss', 'keys']],
    [make('chart-hits', ['hit %'], ['hit']), ['hit']],
    [make('chart-wal', ['syncs/s', 'records/commit'], ['syncs', 'group'], {
      scales: ['y', 'g'],
      axes: [{}, { size: 60 }, { scale: 'g', side: 1, size: 50, grid: { show: false } }],
    }), ['syncs', 'group']],
    [make('chart-clients', ['connected', 'blocked'], ['clients', 'blocked']), ['clients', 'blocked']],
  ];
  const fmtBytes = (b) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);
  const text = (id, v) => { document.getElementById(id).textContent = v; };
  const rows = (id, list) => {
    const body = document.querySelector(`#${id} tbody`);
    body.replaceChildren(...list.map((cells) => {
      const tr = document.createElement('tr');
      for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); }
      return tr;
    }));
  };
  const push = (key, v) => { data[key].push(v); if (data[key].length > KEEP) data[key].shift(); };
  const onSample = (s) => {
    const dt = prev ? (s.t - prev.t) / 1000 : 1;
    const rate = (k) => (prev && dt > 0 ? Math.max(0, (s[k] - prev[k]) / dt) : 0);
    const ops = prev ? rate('commands') : s.ops;
    const dh = prev ? s.hits - prev.hits : s.hits;
    const dm = prev ? s.misses - prev.misses : s.misses;
    const hit = dh + dm > 0 ? (100 * dh) / (dh + dm) : null;
    const commits = prev ? s.walGroupCommits - prev.walGroupCommits : 0;
    const group = commits > 0 ? (s.walLastLsn - prev.walLastLsn) / commits : null;
    const top = s.cmds[0];
    push('t', s.t / 1000);
    push('ops', ops);
    push('p50', top ? top.p50 : null);
    push('p99', top ? top.p99 : null);
    push('used', s.usedMemory / 2 ** 20);
    push('rss', s.rss / 2 ** 20);
    push('keys', s.keys);
    push('hit', hit);
    push('syncs', rate('walSyncs'));
    push('group', group);
    push('clients', s.clients);
    push('blocked', s.blocked);
    for (const [chart, cols] of charts) chart.setData([data.t, ...cols.map((c) => data[c])]);
    text('ops', Math.round(ops).toLocaleString('en'));
    text('keys', s.keys.toLocaleString('en'));
    text('memory', s.maxmemory > 0 ? `${fmtBytes(s.usedMemory)} / ${fmtBytes(s.maxmemory)}` : fmtBytes(s.usedMemory));
    text('hitratio', hit === null ? '–' : `${hit.toFixed(1)} %`);
    text('clients', String(s.clients));
    text('syncs', Math.round(rate('walSyncs')).toLocaleString('en'));
    text('snapshot', s.snapshotInProgress ? 'running' : `${s.snapshotsCompleted} done, last ${s.snapshotLastMs} ms`);
    text('role', s.role === 'slave' ? `replica (${s.masterLinkStatus})` : `primary, ${s.replicas.length} replicas`);
    rows('commands', s.cmds.map((c) => [c.cmd, c.calls.toLocaleString('en'), c.p50.toFixed(1), c.p99.toFixed(1)]));
    rows('replicas', s.replicas.map((r) => [`${r.ip}:${r.port}`, r.state, r.offset, r.lag]));
    text('status', `live, ${new Date(s.t).toLocaleTimeString()}`);
    prev = s;
    window.__dashboard.samples++;
    window.__dashboard.last = s;
  };
  const source = new EventSource('events');
  source.onmessage = (e) => onSample(JSON.parse(e.data));
  source.onerror = () => text('status', 'disconnected, retrying…');
  window.addEventListener('resize', () => { for (const [chart] of charts) chart.setSize({ width: width(), height: 200 }); });
})();
