/* The phone's outbox: reports wait in IndexedDB (photos as Blobs, with the idempotency key made
 * once on the phone) until the case API has them. Loaded by the page and by the service worker,
 * so it uses neither the DOM nor ES modules; it needs the `idb` library loaded first. */
(function (scope) {
  "use strict";

  var DB_NAME = "gridcity-mobile";
  var STORE = "outbox";
  var META = "meta";
  var CHANNEL = "gridcity-outbox";
  var SYNC_TAG = "gridcity-outbox";
  // Answers worth retrying later: no answer at all, or the server or a proxy is unwell.
  var RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];
  // Refusals of the session, not of the report (logged out, stale CSRF token): the report is
  // fine and goes once the person is logged in again.
  var SESSION_CODES = ["not_authenticated", "authentication_failed", "permission_denied"];

  var dbPromise = null;
  var flushing = null;

  function db() {
    if (!dbPromise) {
      dbPromise = scope.idb.openDB(DB_NAME, 1, {
        upgrade: function (database) {
          database.createObjectStore(STORE, {keyPath: "key"});
          database.createObjectStore(META);
        },
      });
    }
    return dbPromise;
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) {
      return scope.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
  }

  function announce() {
    if (typeof BroadcastChannel !== "undefined") {
      var channel = new BroadcastChannel(CHANNEL);
      channel.postMessage("changed");
      channel.close();
    }
  }

  function onChange(callback) {
    if (typeof BroadcastChannel !== "undefined") {
      new BroadcastChannel(CHANNEL).onmessage = callback;
    }
  }

  /* Keep a report: `fields` are the API's form fields, `photos` Blobs, `label` what the list
   * shows. The key is made here, once, and sent with every attempt. */
  function add(report) {
    var item = {
      key: newKey(),
      url: report.url,
      fields: report.fields,
      photos: report.photos,
      label: report.label,
      user: report.user,
      createdAt: new Date().toISOString(),
      state: "waiting",
      attempts: 0,
      error: "",
    };
    return db().then(function (database) {
      return database.put(STORE, item);
    }).then(function () {
      announce();
      return item;
    });
  }

  function list() {
    return db().then(function (database) {
      return database.getAll(STORE);
    }).then(function (items) {
      return items.sort(function (a, b) {
        return a.createdAt < b.createdAt ? -1 : 1;
      });
    });
  }

  function remove(key) {
    return db().then(function (database) {
      return database.delete(STORE, key);
    }).then(announce);
  }

  function update(key, changes) {
    return db().then(function (database) {
      return database.get(STORE, key).then(function (item) {
        if (!item) {
          return null;
        }
        Object.assign(item, changes);
        return database.put(STORE, item).then(function () {
          return item;
        });
      });
    }).then(function (item) {
      announce();
      return item;
    });
  }

  function setMeta(name, value) {
    return db().then(function (database) {
      return database.put(META, value, name);
    });
  }

  function getMeta(name) {
    return db().then(function (database) {
      return database.get(META, name);
    });
  }

  function formOf(item) {
    var form = new FormData();
    Object.keys(item.fields).forEach(function (name) {
      var value = item.fields[name];
      if (value !== null && value !== undefined && value !== "") {
        form.append(name, value);
      }
    });
    item.photos.forEach(function (blob, index) {
      form.append("photos", blob, photoName(blob, index));
    });
    return form;
  }

  /* Named after the blob's own type: a photo the phone did not shrink keeps its type (a PNG
   * stays a PNG), and the server refuses a name that claims another type than the bytes. */
  function photoName(blob, index) {
    var extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}[blob.type];
    return "photo-" + (index + 1) + (extension || "");
  }

  function messageOf(body, status) {
    if (body && body.message) {
      var details = body.details && typeof body.details === "object" ? body.details : {};
      var parts = Object.keys(details).map(function (field) {
        var value = details[field];
        return field + ": " + (Array.isArray(value) ? value.join(" ") : String(value));
      });
      return parts.length ? body.message + " (" + parts.join("; ") + ")" : body.message;
    }
    return "HTTP " + status;
  }

  /* Send one item. Resolves to {sent, body} or {retry} (no answer, or one worth retrying) or
   * {rejected, message} (the server refused it: it stays, visible, until retried or removed). */
  function send(item, csrfToken) {
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Idempotency-Key": item.key,
        "X-CSRFToken": csrfToken || "",
        "Accept": "application/json",
      },
      body: formOf(item),
    }).then(function (response) {
      return response.json().catch(function () {
        return null;
      }).then(function (body) {
        if (response.ok) {
          return {sent: true, body: body};
        }
        var sessionRefused = (response.status === 401 || response.status === 403) &&
          body && SESSION_CODES.indexOf(body.code) >= 0;
        if (RETRY_STATUSES.indexOf(response.status) >= 0 || sessionRefused) {
          return {retry: true, message: messageOf(body, response.status)};
        }
        return {rejected: true, message: messageOf(body, response.status)};
      });
    }, function () {
      // No answer at all: the list says "waiting"; the browser's own wording adds nothing.
      return {retry: true, message: ""};
    });
  }

  /* Send every waiting item of `user` (and, with `all`, the refused ones too), one at a time;
   * another account's reports wait until that account is logged in on this phone. Calls
   * `progress(item, outcome)` after each. Only one flush runs at a time in a context; a flush in
   * another context (page and service worker) is safe too: the server replays a repeated key. */
  function flush(options) {
    options = options || {};
    if (flushing) {
      return flushing;
    }
    var progress = options.progress || function () {};
    flushing = Promise.all([list(), options.csrfToken ? options.csrfToken : getMeta("csrfToken")])
      .then(function (loaded) {
        var items = loaded[0].filter(function (item) {
          var mine = options.user !== undefined && options.user !== null && item.user === options.user;
          return mine && (item.state === "waiting" || (options.all && item.state === "rejected"));
        });
        var token = loaded[1];
        var outcomes = [];
        return items.reduce(function (chain, item) {
          return chain.then(function () {
            progress(item, {sending: true});
            return send(item, token).then(function (outcome) {
              outcomes.push(outcome);
              var done = outcome.sent
                ? remove(item.key)
                : update(item.key, {
                  state: outcome.rejected ? "rejected" : "waiting",
                  attempts: item.attempts + 1,
                  error: outcome.message,
                });
              return done.then(function () {
                progress(item, outcome);
              });
            });
          });
        }, Promise.resolve()).then(function () {
          return outcomes;
        });
      })
      .finally(function () {
        flushing = null;
      });
    return flushing;
  }

  scope.GridCityOutbox = {
    SYNC_TAG: SYNC_TAG,
    add: add,
    list: list,
    remove: remove,
    update: update,
    flush: flush,
    setMeta: setMeta,
    getMeta: getMeta,
    onChange: onChange,
  };
})(self);
