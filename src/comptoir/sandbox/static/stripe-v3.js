/*
 * Stripe.js v3 stand-in served by the comptoir sandbox.
 *
 * Why it exists: pages written for real Stripe.js (Card Element, createPaymentMethod,
 * handleCardAction, confirmCardPayment, redirectToCheckout) must work with no network, against
 * the sandbox that plays Stripe. Only the subset those pages use is here, with Stripe's shapes:
 * every async method resolves {paymentMethod} / {paymentIntent} or {error}, never rejects for
 * payment failures.
 *
 * Differences from the real library, on purpose: the card inputs are plain inputs in the host
 * page (no iframe), without name attributes so a merchant form never submits them; the card
 * number still goes only to the sandbox's /v1/payment_methods with the publishable key. The
 * 3-D Secure challenge is the sandbox's /3ds page shown in a modal iframe.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  var BASE = script && script.src ? new URL(script.src).origin : '__SANDBOX_BASE__';
  var THREE_DS_SOURCE = 'comptoir-sandbox-3ds';

  function integrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  function encode(params, prefix, out) {
    out = out || [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + '[' + key + ']' : key;
      if (value === undefined || value === null) { return; }
      if (typeof value === 'object') {
        encode(value, name, out);
      } else {
        out.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(value)));
      }
    });
    return out.join('&');
  }

  function unexpected(status) {
    return {type: 'api_error', message: 'Unexpected answer from the Stripe sandbox (HTTP ' + status + ').'};
  }

  function request(key, method, path, params) {
    var body = encode(params || {});
    var url = BASE + '/v1' + path + (method === 'GET' && body ? '?' + body : '');
    return fetch(url, {
      method: method,
      headers: {
        'Authorization': 'Bearer ' + key,
        'Content-Type': 'application/x-www-form-urlencoded'
      },
      body: method === 'GET' ? undefined : body
    }).then(function (response) {
      return response.json().then(function (json) {
        if (response.ok) { return {ok: true, json: json}; }
        return {ok: false, error: json.error || unexpected(response.status)};
      }, function () { return {ok: false, error: unexpected(response.status)}; });
    }, function () {
      return {ok: false, error: {type: 'api_connection_error',
        message: 'Could not reach the Stripe sandbox at ' + BASE + '.'}};
    });
  }

  function intentIdOf(clientSecret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret || '');
    if (!match) {
      throw integrationError('Invalid value for clientSecret: it should be a PaymentIntent client secret ' +
        'of the form pi_..._secret_...');
    }
    return match[1];
  }

  /* ---- card input rules (Stripe Element wording) ------------------------------------- */

  function luhn(number) {
    var total = 0;
    for (var i = 0; i < number.length; i++) {
      var digit = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) { digit *= 2; if (digit > 9) { digit -= 9; } }
      total += digit;
    }
    return total % 10 === 0;
  }

  function brandOf(number) {
    if (/^4/.test(number)) { return 'visa'; }
    if (/^3[47]/.test(number)) { return 'amex'; }
    if (/^(5[1-5]|2[2-7])/.test(number)) { return 'mastercard'; }
    if (/^(6011|65)/.test(number)) { return 'discover'; }
    if (/^35/.test(number)) { return 'jcb'; }
    if (/^3[068]/.test(number)) { return 'diners'; }
    if (/^62/.test(number)) { return 'unionpay'; }
    return 'unknown';
  }

  function digits(text) { return (text || '').replace(/\D/g, ''); }

  function problem(code, message) { return {type: 'validation_error', code: code, message: message}; }

  function checkNumber(number, final) {
    var wanted = brandOf(number) === 'amex' ? 15 : 16;
    if (!number) { return final ? problem('incomplete_number', 'Your card number is incomplete.') : null; }
    if (number.length >= 13 && luhn(number)) { return null; }
    if (number.length < wanted) {
      return final ? problem('incomplete_number', 'Your card number is incomplete.') : null;
    }
    return problem('invalid_number', 'Your card number is invalid.');
  }

  function checkExpiry(text, final) {
    var value = digits(text);
    if (value.length < 4) {
      return final ? problem('incomplete_expiry', "Your card's expiration date is incomplete.") : null;
    }
    var month = Number(value.slice(0, 2));
    var year = 2000 + Number(value.slice(2, 4));
    var now = new Date();
    if (month < 1 || month > 12) {
      return problem('invalid_expiry_month', "Your card's expiration month is invalid.");
    }
    if (year < now.getFullYear()) {
      return problem('invalid_expiry_year_past', "Your card's expiration year is in the past.");
    }
    if (year === now.getFullYear() && month < now.getMonth() + 1) {
      return problem('invalid_expiry_month_past', "Your card's expiration date is in the past.");
    }
    return null;
  }

  function checkCvc(cvc, number, final) {
    var wanted = brandOf(number) === 'amex' ? 4 : 3;
    if (cvc.length < wanted) {
      return final ? problem('incomplete_cvc', "Your card's security code is incomplete.") : null;
    }
    return null;
  }

  /* ---- the Card Element ------------------------------------------------------------- */

  var FIELD_STYLE = 'border:0;outline:none;background:transparent;font:inherit;color:inherit;padding:0;min-width:0;';

  function CardElement(options) {
    this._options = options || {};
    this._listeners = {};
    this._host = null;
    this._inputs = null;
  }

  CardElement.prototype.on = function (event, handler) {
    (this._listeners[event] = this._listeners[event] || []).push(handler);
    return this;
  };

  CardElement.prototype.off = function (event, handler) {
    this._listeners[event] = (this._listeners[event] || []).filter(function (h) { return h !== handler; });
    return this;
  };

  CardElement.prototype._emit = function (event, payload) {
    (this._listeners[event] || []).forEach(function (handler) { handler(payload); });
  };

  CardElement.prototype._values = function () {
    var inputs = this._inputs;
    return {number: digits(inputs.number.value), expiry: inputs.expiry.value, cvc: digits(inputs.cvc.value)};
  };

  /* The first problem with the typed card; ``final`` also reports incomplete fields. */
  CardElement.prototype._problem = function (final) {
    var v = this._values();
    return checkNumber(v.number, final) || checkExpiry(v.expiry, final) || checkCvc(v.cvc, v.number, final);
  };

  CardElement.prototype._changed = function () {
    var v = this._values();
    var error = this._problem(false);
    var complete = !this._problem(true);
    var empty = !v.number && !digits(v.expiry) && !v.cvc;
    this._host.classList.toggle('StripeElement--empty', empty);
    this._host.classList.toggle('StripeElement--complete', complete);
    this._host.classList.toggle('StripeElement--invalid', Boolean(error));
    this._emit('change', {elementType: 'card', empty: empty, complete: complete, error: error || undefined,
      brand: brandOf(v.number), value: {postalCode: ''}});
  };

  CardElement.prototype.mount = function (target) {
    var host = typeof target === 'string' ? document.querySelector(target) : target;
    if (!host) {
      throw integrationError('The selector you specified (' + target + ') applies to no DOM elements ' +
        'that are currently on the page.');
    }
    var self = this;
    var wrap = document.createElement('div');
    wrap.setAttribute('data-sandbox-card', '');
    wrap.style.cssText = 'display:flex;gap:8px;align-items:center;';
    function field(label, placeholder, autocomplete, stableName, flex) {
      var input = document.createElement('input');
      input.type = 'text';
      input.inputMode = 'numeric';
      input.placeholder = placeholder;
      input.autocomplete = autocomplete;
      input.setAttribute('aria-label', label);
      input.setAttribute('data-elements-stable-field-name', stableName);
      input.style.cssText = FIELD_STYLE + 'flex:' + flex + ';';
      input.addEventListener('input', function () { self._format(input, stableName); self._changed(); });
      input.addEventListener('focus', function () { host.classList.add('StripeElement--focus'); self._emit('focus', {elementType: 'card'}); });
      input.addEventListener('blur', function () { host.classList.remove('StripeElement--focus'); self._emit('blur', {elementType: 'card'}); });
      wrap.appendChild(input);
      return input;
    }
    this._inputs = {
      number: field('Card number', 'Card number', 'cc-number', 'cardNumber', '3 1 0'),
      expiry: field('Expiration date MM / YY', 'MM / YY', 'cc-exp', 'cardExpiry', '1 1 0'),
      cvc: field('CVC', 'CVC', 'cc-csc', 'cardCvc', '1 1 0')
    };
    host.innerHTML = '';
    host.appendChild(wrap);
    host.classList.add('StripeElement', 'StripeElement--empty');
    this._host = host;
    setTimeout(function () { self._emit('ready', {elementType: 'card'}); }, 0);
  };

  CardElement.prototype._format = function (input, stableName) {
    var value = digits(input.value);
    if (stableName === 'cardNumber') {
      input.value = value.slice(0, 19).replace(/(\d{4})(?=\d)/g, '$1 ');
    } else if (stableName === 'cardExpiry') {
      value = value.slice(0, 4);
      input.value = value.length > 2 ? value.slice(0, 2) + ' / ' + value.slice(2) : value;
    } else {
      input.value = value.slice(0, 4);
    }
  };

  CardElement.prototype.clear = function () {
    if (!this._inputs) { return; }
    this._inputs.number.value = this._inputs.expiry.value = this._inputs.cvc.value = '';
    this._changed();
  };

  CardElement.prototype.focus = function () { if (this._inputs) { this._inputs.number.focus(); } };
  CardElement.prototype.blur = function () { if (document.activeElement) { document.activeElement.blur(); } };
  CardElement.prototype.update = function (options) { Object.assign(this._options, options || {}); };

  CardElement.prototype.unmount = function () {
    if (this._host) {
      this._host.innerHTML = '';
      this._host.classList.remove('StripeElement');
      this._host = null;
    }
  };

  CardElement.prototype.destroy = CardElement.prototype.unmount;

  function Elements() { this._created = {}; }

  Elements.prototype.create = function (type, options) {
    if (type !== 'card') {
      throw integrationError('This sandbox stand-in of Stripe.js supports only the "card" Element, not "' +
        type + '".');
    }
    if (this._created.card) {
      throw integrationError('Can only create one Element of type card.');
    }
    this._created.card = new CardElement(options);
    return this._created.card;
  };

  Elements.prototype.getElement = function (type) { return this._created[type] || null; };

  /* ---- 3-D Secure challenge --------------------------------------------------------- */

  function challengeUrl(intent) {
    var action = intent.next_action || {};
    var url = (action.redirect_to_url && action.redirect_to_url.url) ||
      (action.use_stripe_sdk && action.use_stripe_sdk.stripe_js);
    if (!url) { return null; }
    return url + (url.indexOf('?') === -1 ? '?' : '&') + 'embedded=1';
  }

  /* Show the challenge in a modal iframe; resolve when the sandbox page posts its outcome. */
  function runChallenge(intent) {
    var url = challengeUrl(intent);
    if (!url) { return Promise.resolve(); }
    return new Promise(function (resolve) {
      var overlay = document.createElement('div');
      overlay.setAttribute('data-sandbox-3ds', '');
      overlay.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:rgba(26,31,54,.55);' +
        'display:flex;align-items:center;justify-content:center;';
      var frame = document.createElement('iframe');
      frame.name = 'stripe-challenge-frame';
      frame.title = '3-D Secure authentication';
      frame.src = url;
      frame.style.cssText = 'width:min(520px,96vw);height:min(640px,92vh);border:0;border-radius:12px;background:#fff;';
      overlay.appendChild(frame);
      document.body.appendChild(overlay);
      function onMessage(event) {
        var data = event.data || {};
        if (event.origin !== BASE || data.source !== THREE_DS_SOURCE || data.payment_intent !== intent.id) {
          return;
        }
        window.removeEventListener('message', onMessage);
        overlay.remove();
        resolve();
      }
      window.addEventListener('message', onMessage);
    });
  }

  /* ---- the Stripe object ------------------------------------------------------------ */

  function StripeSandbox(key) {
    if (typeof key !== 'string' || key.indexOf('pk_') !== 0) {
      throw integrationError('Invalid value for Stripe(): apiKey should be a publishable key (pk_test_...). ' +
        'You specified: ' + key + '.');
    }
    this._key = key;
  }

  StripeSandbox.prototype.elements = function () { return new Elements(); };

  StripeSandbox.prototype._retrieveIntent = function (clientSecret) {
    return request(this._key, 'GET', '/payment_intents/' + intentIdOf(clientSecret), {client_secret: clientSecret});
  };

  StripeSandbox.prototype.retrievePaymentIntent = function (clientSecret) {
    return this._retrieveIntent(clientSecret).then(function (res) {
      return res.ok ? {paymentIntent: res.json} : {error: res.error};
    });
  };

  StripeSandbox.prototype.createPaymentMethod = function (data, legacyElement, legacyData) {
    if (typeof data === 'string') {
      data = Object.assign({type: data, card: legacyElement}, legacyData || {});
    }
    if (!data || data.type !== 'card' || !(data.card instanceof CardElement)) {
      throw integrationError('createPaymentMethod: this sandbox supports {type: "card", card: cardElement}.');
    }
    var element = data.card;
    if (!element._inputs) {
      throw integrationError('We could not retrieve data from the specified Element. Please make sure the ' +
        'Element you are attempting to use is still mounted.');
    }
    var error = element._problem(true);
    if (error) { return Promise.resolve({error: error}); }
    var v = element._values();
    var expiry = digits(v.expiry);
    var params = {
      type: 'card',
      card: {number: v.number, exp_month: Number(expiry.slice(0, 2)), exp_year: 2000 + Number(expiry.slice(2, 4)),
        cvc: v.cvc},
      billing_details: data.billing_details,
      metadata: data.metadata
    };
    return request(this._key, 'POST', '/payment_methods', params).then(function (res) {
      return res.ok ? {paymentMethod: res.json} : {error: res.error};
    });
  };

  /* After a challenge, read the intent back: failed authentication comes back as {error}. */
  StripeSandbox.prototype._afterChallenge = function (clientSecret) {
    return this._retrieveIntent(clientSecret).then(function (res) {
      if (!res.ok) { return {error: res.error}; }
      var intent = res.json;
      if (intent.status === 'requires_payment_method' && intent.last_payment_error) {
        return {error: Object.assign({}, intent.last_payment_error, {payment_intent: intent})};
      }
      return {paymentIntent: intent};
    });
  };

  StripeSandbox.prototype.handleCardAction = function (clientSecret) {
    var self = this;
    return this._retrieveIntent(clientSecret).then(function (res) {
      if (!res.ok) { return {error: res.error}; }
      var intent = res.json;
      if (intent.status !== 'requires_action') {
        if (intent.status === 'requires_payment_method' && intent.last_payment_error) {
          return {error: Object.assign({}, intent.last_payment_error, {payment_intent: intent})};
        }
        return {paymentIntent: intent};
      }
      return runChallenge(intent).then(function () { return self._afterChallenge(clientSecret); });
    });
  };

  StripeSandbox.prototype._paymentMethodFor = function (data) {
    var method = data && data.payment_method;
    if (!method || typeof method === 'string') { return Promise.resolve({id: method || null}); }
    return this.createPaymentMethod({type: 'card', card: method.card, billing_details: method.billing_details})
      .then(function (result) { return result.error ? {error: result.error} : {id: result.paymentMethod.id}; });
  };

  StripeSandbox.prototype.confirmCardPayment = function (clientSecret, data, options) {
    var self = this;
    var intentId = intentIdOf(clientSecret);
    var handleActions = !options || options.handleActions !== false;
    return this._paymentMethodFor(data).then(function (method) {
      if (method.error) { return {error: method.error}; }
      var params = {client_secret: clientSecret, payment_method: method.id || undefined,
        return_url: data && data.return_url, use_stripe_sdk: true};
      return request(self._key, 'POST', '/payment_intents/' + intentId + '/confirm', params).then(function (res) {
        if (!res.ok) { return {error: res.error}; }
        if (res.json.status !== 'requires_action' || !handleActions) { return {paymentIntent: res.json}; }
        return runChallenge(res.json).then(function () { return self._afterChallenge(clientSecret); });
      });
    });
  };

  StripeSandbox.prototype.redirectToCheckout = function (options) {
    var sessionId = options && options.sessionId;
    if (!sessionId) {
      return Promise.resolve({error: {type: 'invalid_request_error',
        message: 'redirectToCheckout: this sandbox needs a sessionId (create the Checkout Session on your server).'}});
    }
    window.location.assign(BASE + '/c/pay/' + encodeURIComponent(sessionId));
    return new Promise(function () {});
  };

  function Stripe(key, options) { return new StripeSandbox(key, options); }

  Stripe.version = 3;
  Stripe.sandbox = {base: BASE};
  window.Stripe = Stripe;
})();
