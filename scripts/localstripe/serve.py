"""Runs localstripe (Stripe's API stand-in for the tests and the demo) with the parts of
Stripe's card payment path it lacks, so the product can use Stripe's documented path:

- a PaymentIntent may be created with `setup_future_usage`; when it succeeds, its card is
  attached to the intent's customer (Stripe's behaviour: the card is set up for later in
  the same bank check);
- `POST /v1/payment_intents/{id}/confirm` takes the card as Stripe.js sends it
  (`payment_method` or `payment_method_data`, with `client_secret` and the publishable
  key), as localstripe's SetupIntent confirm already does;
- a card Stripe declines at once (4000000000000002 and the other "attaching is declined"
  numbers) is declined when charged too, as at Stripe.

Arguments are localstripe's own (`--port`, `--from-scratch`). The routes are bound when
`localstripe.server` is imported, so the resources are changed first.
"""

import re

from localstripe import resources
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, PaymentMethod


def _init_with_setup_future_usage(original):
    def __init__(self, setup_future_usage=None, **kwargs):
        if setup_future_usage not in (None, 'on_session', 'off_session'):
            raise UserError(400, 'Bad request')
        if setup_future_usage is not None and kwargs.get('customer') is None:
            raise UserError(400, 'setup_future_usage needs a customer')
        original(self, **kwargs)
        self.setup_future_usage = setup_future_usage
    return __init__


PaymentIntent.__init__ = _init_with_setup_future_usage(PaymentIntent.__init__)

_on_success = PaymentIntent._on_success


def _attach_then_succeed(self):
    if getattr(self, 'setup_future_usage', None) and self.customer:
        method = PaymentMethod._api_retrieve(self.payment_method)
        method.customer = self.customer
    _on_success(self)


PaymentIntent._on_success = _attach_then_succeed


def _confirm_with_card(cls, id, payment_method=None, payment_method_data=None,
                       client_secret=None, use_stripe_sdk=None, return_url=None,
                       **kwargs):
    if kwargs:
        raise UserError(400, 'Unexpected ' + ', '.join(kwargs.keys()))
    if not (type(id) is str and id.startswith('pi_')):
        raise UserError(400, 'Bad request')
    if payment_method is not None and type(payment_method) is not str:
        raise UserError(400, 'Bad request')
    if payment_method_data is not None and type(payment_method_data) is not dict:
        raise UserError(400, 'Bad request')

    obj = cls._api_retrieve(id)
    if client_secret is not None and client_secret != obj.client_secret:
        raise UserError(401, 'Unauthorized')

    if payment_method is not None or payment_method_data is not None:
        if obj.status not in ('requires_payment_method', 'requires_confirmation'):
            raise UserError(400, 'Bad request')
        if payment_method is not None:
            method = PaymentMethod._api_retrieve(payment_method)
        else:
            method = PaymentMethod(**payment_method_data)
        obj.payment_method = method.id
        obj.latest_charge = None
    elif obj.status != 'requires_confirmation':
        raise UserError(400, 'Bad request')

    obj._confirm(on_failure_now=obj._report_failure)
    return obj


PaymentIntent._api_confirm = classmethod(_confirm_with_card)

for i, (method, url, func) in enumerate(resources.extra_apis):
    if url == '/v1/payment_intents/{id}/confirm':
        resources.extra_apis[i] = (method, url, PaymentIntent._api_confirm)

_charging_is_declined = PaymentMethod._charging_is_declined
PaymentMethod._charging_is_declined = (
    lambda self: _charging_is_declined(self) or self._attaching_is_declined())


from localstripe import server  # noqa: E402  (after the changes above)
from aiohttp import web  # noqa: E402

_CONFIRM_PATH = re.compile(r'^/v1/payment_intents/pi_\w+/confirm$')


@web.middleware
async def _auth_with_publishable_key(request, handler):
    """Stripe.js confirms a PaymentIntent with the publishable key and the intent's secret
    (checked by the confirm itself); every other request goes through localstripe's own
    check."""
    if request.method == 'POST' and _CONFIRM_PATH.match(request.path):
        data = await server.get_post_data(request, remove_auth=False) or {}
        key = data.get('key')
        if type(key) is str and key.startswith('pk_') and data.get('client_secret'):
            return await handler(request)
    return await server.auth_middleware(request, handler)


_middlewares = server.app.middlewares
_middlewares[_middlewares.index(server.auth_middleware)] = _auth_with_publishable_key

# Stripe's idempotency keys, for API keys starting with this. The tests' databases share one
# localstripe and number their payments from 1, so Lastmile's keys (`lastmile-payment-<id>`)
# repeat from one database to the next; a test of retries uses an API key of its own, with
# this prefix, and only its requests are remembered.
_IDEMPOTENT_API_KEYS = 'sk_test_idem_'
_replies = {}


@web.middleware
async def _idempotent(request, handler):
    """A POST sent again with the same Idempotency-Key gets the first answer, and nothing
    is done again; with other parameters, it is refused, as at Stripe."""
    key = request.headers.get('Idempotency-Key')
    auth = request.headers.get('Authorization', '')
    if request.method != 'POST' or not key or _IDEMPOTENT_API_KEYS not in auth:
        return await handler(request)
    sent = await request.read()
    scope = (auth, key)
    if scope in _replies:
        path, first, status, body, content_type = _replies[scope]
        if (path, first) != (request.path, sent):
            raise UserError(400, 'Keys for idempotent requests can only be used with the '
                                 'same parameters they were first used with.')
        replay = web.Response(status=status, body=body, content_type=content_type)
        replay.headers['Idempotent-Replayed'] = 'true'
        return replay
    try:
        response = await handler(request)
    except UserError as e:
        response = e.to_response()
    _replies[scope] = (request.path, sent, response.status, response.body,
                       response.content_type)
    return response


_middlewares.insert(_middlewares.index(_auth_with_publishable_key) + 1, _idempotent)

if __name__ == '__main__':
    server.start()
