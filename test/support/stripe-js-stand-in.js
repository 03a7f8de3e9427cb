/*
 * A stand-in for Stripe.js, served in the browser tests only (test/support/stripe-js.ts routes
 * https://js.stripe.com to it; production always loads Stripe's own). It does what the app relies on Stripe.js for,
 * the way Stripe.js does it: the card fields are the element's own (the app never reads them), the card goes
 * from the browser straight to Stripe's API (https://api.stripe.com, routed to the fake Stripe) with the publishable
 * key and the intent's client secret, and 3-D Secure is a challenge shown over the page, like Stripe's test page
 * with "Complete" and "Fail" buttons.
 */
(function () {
  var WORDS = {
    ja: {
      number: 'カード番号', expiry: '有効期限（月/年）', cvc: 'セキュリティコード', frame: 'カード情報（Stripe）',
      challenge: '3Dセキュア認証（テスト）', challengeText: 'カード会社の本人認証です。', complete: '認証を完了する', fail: '認証を失敗させる',
      incorrect_number: 'カード番号が正しくありません。', card_declined: 'カードが拒否されました。', expired_card: 'カードの有効期限が切れています。',
      authentication_failed: 'お支払い方法を認証できませんでした。別のお支払い方法をお選びください。', generic: 'エラーが発生しました。',
    },
    en: {
      number: 'Card number', expiry: 'Expiration (MM/YY)', cvc: 'Security code', frame: 'Card details (Stripe)',
      challenge: '3D Secure authentication (test)', challengeText: 'Your card issuer asks you to confirm it is you.', complete: 'Complete authentication', fail: 'Fail authentication',
      incorrect_number: 'Your card number is incorrect.', card_declined: 'Your card was declined.', expired_card: 'Your card has expired.',
      authentication_failed: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.', generic: 'An error occurred.',
    },
  };

  function Stripe(key, options) {
    var words = WORDS[options && options.locale === 'ja' ? 'ja' : 'en'];

    function api(path, form) {
      var body = new URLSearchParams(Object.assign({ key: key }, form));
      return fetch('https://api.stripe.com' + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body }).then(function (r) {
        return r.json();
      });
    }
    function failure(error) {
      return { error: { type: error.type || 'card_error', code: error.code, message: words[error.code] || words[error.decline_code] || words.generic } };
    }

    /** The bank's challenge, over the page; resolves true when the cardholder completes it. */
    function challenge() {
      return new Promise(function (resolve) {
        var dialog = document.createElement('div');
        dialog.setAttribute('role', 'dialog');
        dialog.setAttribute('aria-modal', 'true');
        dialog.setAttribute('aria-label', words.challenge);
        dialog.style.cssText = 'position:fixed;inset:20% 8px auto 8px;background:#fff;color:#111;border:2px solid #333;padding:16px;z-index:1000';
        var text = document.createElement('p');
        text.textContent = words.challengeText;
        dialog.appendChild(text);
        [
          [words.complete, true],
          [words.fail, false],
        ].forEach(function (choice) {
          var button = document.createElement('button');
          button.type = 'button';
          button.textContent = choice[0];
          button.onclick = function () {
            dialog.remove();
            resolve(choice[1]);
          };
          dialog.appendChild(button);
        });
        document.body.appendChild(dialog);
      });
    }

    function createElement() {
      var handlers = {};
      var fields = {};
      var root = null;
      var element = {
        mount: function (node) {
          var target = typeof node === 'string' ? document.querySelector(node) : node;
          root = document.createElement('fieldset');
          var legend = document.createElement('legend');
          legend.textContent = words.frame;
          root.appendChild(legend);
          [
            ['number', words.number, 'cc-number', '4242 4242 4242 4242'],
            ['expiry', words.expiry, 'cc-exp', '12 / 34'],
            ['cvc', words.cvc, 'cc-csc', '123'],
          ].forEach(function (f) {
            var label = document.createElement('label');
            label.textContent = f[1];
            var input = document.createElement('input');
            input.autocomplete = f[2];
            input.inputMode = 'numeric';
            input.placeholder = f[3];
            label.appendChild(input);
            root.appendChild(label);
            fields[f[0]] = input;
          });
          target.appendChild(root);
          setTimeout(function () {
            (handlers.ready || []).forEach(function (cb) {
              cb({ elementType: 'payment' });
            });
          });
        },
        on: function (event, cb) {
          (handlers[event] = handlers[event] || []).push(cb);
          return element;
        },
        off: function (event, cb) {
          handlers[event] = (handlers[event] || []).filter(function (h) {
            return h !== cb;
          });
          return element;
        },
        once: function (event, cb) {
          return element.on(event, cb);
        },
        update: function () {},
        focus: function () {},
        blur: function () {},
        clear: function () {},
        unmount: function () {
          if (root) root.remove();
        },
        destroy: function () {
          if (root) root.remove();
        },
        _card: function () {
          var expiry = (fields.expiry.value || '12/34').split('/');
          return {
            'payment_method_data[type]': 'card',
            'payment_method_data[card][number]': fields.number.value.replace(/\s/g, ''),
            'payment_method_data[card][exp_month]': expiry[0].trim(),
            'payment_method_data[card][exp_year]': '20' + (expiry[1] || '34').trim(),
            'payment_method_data[card][cvc]': fields.cvc.value,
          };
        },
      };
      return element;
    }

    return {
      elements: function (options) {
        var created = null;
        return {
          _clientSecret: options && options.clientSecret,
          create: function () {
            created = createElement();
            return created;
          },
          getElement: function () {
            return created;
          },
          update: function () {},
          on: function () {},
          submit: function () {
            return Promise.resolve({});
          },
          _element: function () {
            return created;
          },
        };
      },
      confirmSetup: function (params) {
        var secret = params.elements._clientSecret;
        var id = secret.split('_secret_')[0];
        return api('/v1/setup_intents/' + id + '/confirm', Object.assign({ client_secret: secret }, params.elements._element()._card())).then(function (intent) {
          if (intent.error) return failure(intent.error);
          if (intent.status !== 'requires_action') return { setupIntent: intent };
          return challenge()
            .then(function (passed) {
              return api('/v1/setup_intents/' + id + '/authenticate', { client_secret: secret, result: passed ? 'succeed' : 'fail' });
            })
            .then(function (after) {
              return after.status === 'succeeded' ? { setupIntent: after } : failure({ type: 'invalid_request_error', code: 'authentication_failed' });
            });
        });
      },
      handleNextAction: function (params) {
        var secret = params.clientSecret;
        var id = secret.split('_secret_')[0];
        return challenge()
          .then(function (passed) {
            return api('/v1/payment_intents/' + id + '/authenticate', { client_secret: secret, result: passed ? 'succeed' : 'fail' });
          })
          .then(function (after) {
            return after.status === 'succeeded' ? { paymentIntent: after } : failure({ type: 'card_error', code: 'authentication_failed' });
          });
      },
      // Present because @stripe/react-stripe-js checks for them before it takes the object as Stripe.js.
      createToken: function () {},
      createPaymentMethod: function () {},
      confirmCardPayment: function () {},
      registerAppInfo: function () {},
      _registerWrapper: function () {},
    };
  }
  // The release @stripe/stripe-js expects (it warns about any other).
  Stripe.version = 'endive';
  window.Stripe = Stripe;
})();
