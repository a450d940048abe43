
// Added by Lastmile (scripts/localstripe/confirm-card-payment.js): confirmCardPayment as
// Stripe.js does it. Given a card (the card element, or a wallet's PaymentMethod id), it first
// confirms the PaymentIntent with it, and asks for 3-D Secure only when the bank wants it
// (unless told `handleActions: false`); without one, it completes 3-D Secure on an intent
// already confirmed, as before.
(function () {
  const makeStripe = Stripe;
  Stripe = (apiKey) => {
    const stripe = makeStripe(apiKey);
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data, options) => {
      const method = data && data.payment_method;
      if (!method) {
        return authenticate(clientSecret, data);
      }
      try {
        const pi = clientSecret.match(/^(pi_\w+)_secret_/)[1];
        const body = {key: apiKey, use_stripe_sdk: true, client_secret: clientSecret};
        if (typeof method === 'string') {
          body.payment_method = method;
        } else {
          const value = method.card.value;
          body.payment_method_data = {
            type: 'card',
            card: value.card,
            billing_details: {address: {postal_code: value.postal_code}},
          };
        }
        const response = await fetch(
          `${LOCALSTRIPE_BASE_API}/v1/payment_intents/${pi}/confirm`,
          {method: 'POST', body: JSON.stringify(body)});
        const res = await response.json().catch(() => ({}));
        if (response.status !== 200 || res.error) {
          return {error: res.error || {message: `confirm answered ${response.status}`}};
        }
        // A wallet's page asks to handle the bank itself, once its sheet has closed.
        if (res.status === 'requires_action' && !(options && options.handleActions === false)) {
          return authenticate(clientSecret, {});
        }
        return {paymentIntent: res};
      } catch (err) {
        return {error: (typeof err === 'object' && err.error) ? err.error : err};
      }
    };
    return stripe;
  };
})();
