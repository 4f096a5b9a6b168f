// Debug footer: how the proxy served this page (its Cache-Status, RFC 9211).
// A script cannot read the headers of its own page's response, so: prefer a Server-Timing entry the
// proxy may add to the page (navigation timing exposes those), else ask again with HEAD, which shows
// the status the page has now (usually a hit, since this very request just stored it).
(function () {
  'use strict';
  var el = document.getElementById('fc-status');
  if (!el) {
    return;
  }
  var nav = window.performance && performance.getEntriesByType ? performance.getEntriesByType('navigation')[0] : null;
  var timing = nav && nav.serverTiming ? nav.serverTiming.filter(function (t) { return t.name === 'freshcache'; })[0] : null;
  if (timing && timing.description) {
    el.textContent = timing.description;
    return;
  }
  fetch(location.href, { method: 'HEAD', credentials: 'same-origin' })
    .then(function (r) {
      var status = r.headers.get('Cache-Status');
      el.textContent = status ? status + '  (HEAD, now)' : 'none: not served through the Freshcache proxy';
    })
    .catch(function () { el.textContent = 'unavailable'; });
})();
