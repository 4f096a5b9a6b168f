/* Freshcache live.js: keeps cached fragments on this page up to date. No dependencies.
 * Elements marked data-freshcache-fragment="/path?query" are refetched and swapped in place when
 * the server says they changed. When the page itself changes, the content of its region (the element
 * marked data-freshcache-page, else <main>) is swapped from a fresh copy of the page, in place;
 * a page with no such region reloads. Protocol and behaviour: docs/live.md. */
(function () {
  'use strict';
  if (window.freshcache || !window.EventSource) return;
  var ATTR = 'data-freshcache-fragment';
  var me = document.currentScript;
  var endpoint = (me && me.getAttribute('data-freshcache-endpoint')) || '/_freshcache/events';
  var ids = [], seen = {}, callbacks = [], alias = {}, busy = {}, again = {};
  var lastId = null, es = null, backoff = 1000, leaving = false;

  function marked() { return document.querySelectorAll('[' + ATTR + ']'); }
  Array.prototype.forEach.call(marked(), function (el) {
    var id = el.getAttribute(ATTR);
    if (id && id.charAt(0) === '/' && !seen[id]) { seen[id] = 1; ids.push(id); }
  });
  var pageId = location.pathname + location.search;
  if (!seen[pageId]) { seen[pageId] = 1; ids.push(pageId); }
  var REGION = 'data-freshcache-page';
  /* cache 'no-cache': the browser revalidates its own copy. Our own Cache-Control (a no-op directive)
   * keeps the browser from adding max-age=0, which would make every cache on the way revalidate with
   * the origin: Freshcache's copy is already the current one (invalidated on change). */
  var FETCH = { credentials: 'same-origin', cache: 'no-cache',
    headers: { Accept: 'text/html', 'Cache-Control': 'no-transform' } };
  function region(doc) { return doc.querySelector('[' + REGION + ']') || doc.querySelector('main'); }

  function url() {
    var q = ids.map(function (id) { return 'f=' + encodeURIComponent(id); });
    if (lastId) q.push('lastEventId=' + encodeURIComponent(lastId));
    return endpoint + (endpoint.indexOf('?') < 0 ? '?' : '&') + q.join('&');
  }
  function track(e) { if (e.lastEventId) lastId = e.lastEventId; }
  function reload() { if (!leaving) { leaving = true; if (es) es.close(); location.reload(); } }
  function notify(detail, el) {
    if (el) el.dispatchEvent(new CustomEvent('freshcache:updated', { bubbles: true, detail: detail }));
    callbacks.forEach(function (cb) { try { cb(detail); } catch (err) { console.error(err); } });
  }

  /* The fragment URL may answer with the element itself (same data-freshcache-fragment id): it
   * replaces the element (outerHTML). Otherwise the answer is the element's new innerHTML. */
  function swap(id, html, etag) {
    var t = document.createElement('template');
    t.innerHTML = html;
    var found = null;
    Array.prototype.forEach.call(t.content.querySelectorAll('[' + ATTR + ']'), function (el) {
      if (!found && el.getAttribute(ATTR) === id) found = el;
    });
    Array.prototype.forEach.call(marked(), function (el) {
      if (el.getAttribute(ATTR) !== id || (etag && el.getAttribute('data-freshcache-etag') === etag)) return;
      var now = el;
      if (found) { now = found.cloneNode(true); el.parentNode.replaceChild(now, el); }
      else el.innerHTML = html;
      if (etag) now.setAttribute('data-freshcache-etag', etag);
      notify({ id: id, etag: etag, element: now }, now);
    });
  }

  function refresh(id) {
    if (busy[id]) { again[id] = true; return; } // one fetch per fragment at a time; coalesce bursts
    busy[id] = true;
    fetch(id, FETCH)
      .then(function (r) {
        if (!r.ok) throw new Error('freshcache: ' + id + ' answered ' + r.status);
        return r.text().then(function (html) { swap(id, html, r.headers.get('ETag')); });
      })
      .catch(function (err) { console.warn(err); })
      .then(function () {
        busy[id] = false;
        if (again[id]) { again[id] = false; refresh(id); }
      });
  }

  /* The page changed: fetch it again and swap its region's content, or reload if it has none. */
  function refreshPage(etag) {
    var here = region(document);
    if (!here) { reload(); return; }
    if (etag && here.getAttribute('data-freshcache-etag') === etag) return;
    if (busy[pageId]) { again[pageId] = true; return; }
    busy[pageId] = true;
    fetch(pageId, FETCH)
      .then(function (r) {
        if (!r.ok) throw new Error('freshcache: ' + pageId + ' answered ' + r.status);
        return r.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, 'text/html'), fresh = region(doc);
          if (!fresh) { reload(); return; }
          here.innerHTML = fresh.innerHTML;
          if (doc.title) document.title = doc.title;
          var tag = r.headers.get('ETag') || etag;
          if (tag) here.setAttribute('data-freshcache-etag', tag);
          notify({ id: pageId, etag: tag, element: here }, here);
        });
      })
      .catch(function (err) { console.warn(err); })
      .then(function () {
        busy[pageId] = false;
        if (again[pageId]) { again[pageId] = false; refreshPage(null); }
      });
  }

  function onChange(e) {
    track(e);
    var d = JSON.parse(e.data), id = alias[d.id] || d.id;
    if (id === pageId) { refreshPage(d.etag); return; }
    var stale = false;
    Array.prototype.forEach.call(marked(), function (el) {
      if (el.getAttribute(ATTR) === id && !(d.etag && el.getAttribute('data-freshcache-etag') === d.etag)) stale = true;
    });
    if (stale) refresh(id);
  }

  function connect() {
    es = new EventSource(url(), { withCredentials: endpoint.charAt(0) !== '/' });
    es.addEventListener('ready', function (e) {
      track(e);
      backoff = 1000;
      alias = {};
      JSON.parse(e.data).ids.forEach(function (n, i) { alias[n] = ids[i]; });
    });
    es.addEventListener('changed', onChange);
    es.addEventListener('invalidated', onChange);
    es.addEventListener('reset', function (e) { track(e); reload(); });
    es.onerror = function () {
      // CONNECTING: the browser retries by itself with Last-Event-ID. CLOSED: it gave up (an HTTP
      // error, a proxy in the way); reconnect by hand with backoff, resuming from the last id seen.
      if (es.readyState !== EventSource.CLOSED || leaving) return;
      es.close();
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  window.freshcache = {
    onUpdate: function (cb) { callbacks.push(cb); },
    lastEventId: function () { return lastId; },
    ids: ids.slice()
  };
  window.addEventListener('pagehide', function () { leaving = true; if (es) es.close(); });
  window.addEventListener('pageshow', function (e) { if (e.persisted) { leaving = false; connect(); } });
  connect();
})();
