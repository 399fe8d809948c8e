/* GridCity mobile service worker: keeps the workspace's shell for a bad signal and sends the
 * outbox when the browser says the network is back (Background Sync). Rendered by a view so
 * that it knows the static URLs. */
"use strict";

var CONFIG = {{ config|safe }};
importScripts(CONFIG.idb, CONFIG.outbox);

var CACHE = "gridcity-mobile-" + CONFIG.version;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(CONFIG.pages.concat(CONFIG.static));
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("gridcity-mobile-") === 0 && name !== CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function fromNetwork(request, keep) {
  return fetch(request).then(function (response) {
    if (keep && response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) {
        cache.put(request, copy);
      });
    }
    return response;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  // Only the shell: writes and API reads always go to the network, untouched.
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname.indexOf(CONFIG.scope) === 0) {
    // Pages: fresh when there is a signal; without one, the report page. Only the shell is
    // kept, not the pages of cases, so a shared phone holds no one's case details.
    var shell = CONFIG.pages.indexOf(url.pathname) >= 0 && !url.search;
    event.respondWith(
      fromNetwork(request, shell).catch(function () {
        return caches.match(CONFIG.pages[0]);
      })
    );
    return;
  }
  if (url.pathname.indexOf(CONFIG.staticPrefix) === 0) {
    // Static files: the cached copy at once, refreshed in the background.
    event.respondWith(
      caches.match(request).then(function (hit) {
        var fresh = fromNetwork(request, true);
        if (hit) {
          fresh.catch(function () {});
          return hit;
        }
        return fresh;
      })
    );
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === GridCityOutbox.SYNC_TAG) {
    event.waitUntil(
      GridCityOutbox.getMeta("userId").then(function (user) {
        return GridCityOutbox.flush({user: user});
      }).then(function (outcomes) {
        if (outcomes.some(function (o) { return o.retry; })) {
          // Rejecting asks the browser to try the sync again later.
          throw new Error("outbox still waiting");
        }
      })
    );
  }
});
