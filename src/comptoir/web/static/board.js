/* The counter board, live: follows the shop's order events, puts each changed card in its column,
   rings while a new order waits for "Seen", and says plainly when the connection is lost and back.
   Plain standards (EventSource, fetch, <audio>); no build step. The server renders every card. */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var ring = document.getElementById("ring");
  var soundButton = document.getElementById("sound");
  var link = document.getElementById("link");
  var lastId = board.dataset.lastEventId || "0";
  var soundOn = false;
  var source = null;
  var lost = false;          // the stream broke: catch up when it opens again
  var saidLost = false;      // the banner says so (only after LOST_AFTER_MS without a stream)
  var lostTimer = null;
  var backTimer = null;
  var LOST_AFTER_MS = 5000;  // the server ends each stream after a few minutes and the browser reconnects
                             // at once: that is not worth alarming anyone

  function setLink(state) {
    link.dataset.state = state;
    link.textContent = link.dataset[state] || link.textContent;
    if (backTimer) { clearTimeout(backTimer); backTimer = null; }
    if (state === "back") { backTimer = setTimeout(function () { setLink("live"); }, 6000); }
  }

  function column(name) { return board.querySelector('.column[data-column="' + name + '"]'); }

  function recount() {
    board.querySelectorAll(".column").forEach(function (section) {
      var count = section.querySelectorAll(".card").length;
      section.querySelector(".count").textContent = String(count);
      section.classList.toggle("is-empty", count === 0);
    });
    var waiting = board.querySelectorAll('.column[data-column="new"] .card').length > 0;
    document.body.dataset.ringing = waiting ? "yes" : "no";
    if (waiting && soundOn) {
      if (ring.paused) {
        ring.dataset.started = String(Number(ring.dataset.started || "0") + 1);
        var playing = ring.play();
        if (playing && playing.catch) { playing.catch(function () { soundButton.hidden = false; }); }
      }
    } else if (!ring.paused) {
      ring.pause();
      ring.currentTime = 0;
    }
  }

  function place(orderId, html) {
    var old = document.getElementById("card-" + orderId);
    if (!html) {
      if (old) { old.remove(); }
      recount();
      return;
    }
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var card = holder.content.firstElementChild;
    var target = column(card.dataset.column);
    if (!target) { return; }
    var list = target.querySelector(".cards");
    if (old && old.parentElement === list) {
      keepWhatWasTyped(old, card);
      old.replaceWith(card);
    } else {
      if (old) { old.remove(); }
      list.prepend(card);
    }
    if (card.dataset.column === "new") { card.classList.add("arrived"); }
    recount();
  }

  /* A card changed while someone had a dialog open on it (an event, or a refused tap): the new card
     keeps the dialog open and what was typed, so nobody types a code or a reason twice. */
  function keepWhatWasTyped(old, card) {
    old.querySelectorAll("details[open]").forEach(function (dialog) {
      var same = card.querySelector('details[data-testid="' + dialog.dataset.testid + '"]');
      if (same) { same.open = true; }
    });
    old.querySelectorAll("input, textarea").forEach(function (field) {
      if (!field.name || field.type === "hidden") { return; }
      var selector = '[name="' + field.name + '"]';
      if (field.type === "radio" || field.type === "checkbox") { selector += '[value="' + field.value + '"]'; }
      var twin = card.querySelector(selector);
      if (!twin) { return; }
      if (field.type === "radio" || field.type === "checkbox") { twin.checked = field.checked; } else { twin.value = field.value; }
    });
  }

  /* Signed out (the session lapsed, or "Sign out" in another tab): the server answers with a redirect
     to the sign-in page, which the board's requests do not follow (a followed one would show, and so
     use up, that page's messages); the board reloads, and the browser goes to sign in. */
  function signedOut(response) {
    return response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400);
  }

  function answer(orderId, response) {
    if (response.status === 403 || signedOut(response)) { window.location.reload(); return; }
    if (response.status === 204 || response.status === 404) { place(orderId, ""); return; }
    return response.text().then(function (html) { place(orderId, html); });
  }

  function refreshCard(orderId) {
    return fetch(board.dataset.cards + encodeURIComponent(orderId), { credentials: "same-origin", redirect: "manual" })
      .then(function (response) { return answer(orderId, response); });
  }

  function catchUp() {
    return fetch(board.dataset.columns, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
      if (!response.ok || signedOut(response)) { window.location.reload(); return; }
      return response.text().then(function (html) { board.innerHTML = html; recount(); });
    });
  }

  function connect() {
    source = new EventSource(board.dataset.events + "?after=" + encodeURIComponent(lastId));
    source.addEventListener("open", function () {
      if (lostTimer) { clearTimeout(lostTimer); lostTimer = null; }
      if (lost) {
        lost = false;
        catchUp().then(function () {
          setLink(saidLost ? "back" : "live");
          saidLost = false;
        });
      } else {
        // The first time: read the columns once more. On PostgreSQL an order committed while the page
        // was being read can carry an event id below the one the page resumes after; this read shows it.
        catchUp().then(function () { setLink("live"); });
      }
    });
    source.addEventListener("order", function (event) {
      lastId = event.lastEventId || lastId;
      var data = JSON.parse(event.data);
      refreshCard(data.order_id);
    });
    source.addEventListener("error", function () {
      lost = true;
      if (!lostTimer && !saidLost) {
        lostTimer = setTimeout(function () { lostTimer = null; saidLost = true; setLink("lost"); }, LOST_AFTER_MS);
      }
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream: signed out (the page then asks to sign in again), or
        // stopping (try again in a moment, resuming after the last event the board had).
        setTimeout(function () {
          fetch(board.dataset.columns, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
            if (signedOut(response) || response.status === 403) { window.location.reload(); return; }
            connect();
          }, function () { connect(); });
        }, 3000);
      }
    });
  }

  board.addEventListener("submit", function (event) {
    var form = event.target;
    var card = form.closest(".card");
    if (!card) { return; }
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "X-Board": "1" },
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (response) { return answer(card.dataset.order, response); })
      .catch(function () {  // no answer: the stream's banner says when the connection is gone
        buttons.forEach(function (button) { button.disabled = false; });
      });
  });

  soundButton.addEventListener("click", function () {
    soundOn = true;
    soundButton.setAttribute("aria-pressed", "true");
    soundButton.textContent = soundButton.dataset.on;
    ring.muted = false;
    recount();
  });

  window.comptoirBoard = {
    /* For the browser tests: the stream ends as after a network cut, and the board reconnects by
       itself (resuming after the last event it had) as it does then. */
    drop: function () {
      if (source) { source.close(); }
      lost = true;
      saidLost = true;
      setLink("lost");
      setTimeout(connect, 1000);
    }
  };

  recount();
  connect();
}());
