//! The islands that talk to Stripe.js: paying (the pay page and pay by link), adding a card,
//! and confirming a payment with the bank.
//!
//! Card numbers never reach our server: they are typed into Stripe's card element. To pay
//! with a new card, our server opens the payment's PaymentIntent and Stripe.js confirms it
//! with the card (`confirmCardPayment`), showing 3-D Secure when the bank wants it: one bank
//! check per payment, the card kept for later or not. A card added on the cards page goes
//! through a SetupIntent (`confirmCardSetup`), as nothing is charged. After Stripe.js, the
//! server asks Stripe how the payment ended. Stripe.js is
//! reached through `js_sys::Reflect`, method by method, so that a missing method (the
//! payment request button in a browser or test double without it) is an `Err`, never a
//! broken page.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::types::payments::SavedCard;
#[cfg(feature = "hydrate")]
use crate::types::payments::{PayProgress, PayState};

/// Calls into Stripe.js (browser only).
#[cfg(feature = "hydrate")]
mod js {
    use js_sys::{Array, Function, Object, Promise, Reflect};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = crypto, js_name = randomUUID)]
        fn random_uuid() -> Result<String, JsValue>;
    }

    /// A payment attempt key, made once per form shown (and again after a refusal).
    pub fn attempt_key() -> String {
        random_uuid().unwrap_or_else(|_| {
            (0..3)
                .map(|_| format!("{:016x}", js_sys::Math::random().to_bits()))
                .collect::<Vec<_>>()
                .join("-")
        })
    }

    pub fn get(target: &JsValue, key: &str) -> JsValue {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    pub fn get_str(target: &JsValue, key: &str) -> Option<String> {
        get(target, key).as_string()
    }

    /// A plain object from key/value pairs.
    pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
        let o = Object::new();
        for (k, v) in pairs {
            let _ = Reflect::set(&o, &JsValue::from_str(k), v);
        }
        o.into()
    }

    /// `target.method(...args)`; a missing method is an `Err`.
    pub fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let f: Function = get(target, method).dyn_into()?;
        let list = Array::new();
        for a in args {
            list.push(a);
        }
        Reflect::apply(&f, target, &list)
    }

    /// `await target.method(...args)`.
    pub async fn call_async(
        target: &JsValue,
        method: &str,
        args: &[JsValue],
    ) -> Result<JsValue, JsValue> {
        let promise: Promise = call(target, method, args)?.dyn_into()?;
        JsFuture::from(promise).await
    }

    pub async fn sleep(ms: i32) {
        let promise = Promise::new(&mut |resolve, _| {
            let _ = leptos::prelude::window()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        });
        let _ = JsFuture::from(promise).await;
    }

    /// Runs Stripe.js once the page's islands are hydrated. The page only preloads it
    /// (`<link rel="preload" id="stripe-js">`): a script running before hydration could
    /// change what the islands find (localstripe's stand-in declares a global `Element`
    /// class, which breaks every `instanceof Element` check).
    fn load_stripe_js() {
        let document = leptos::prelude::document();
        if document.get_element_by_id("stripe-js-script").is_some() {
            return;
        }
        let Some(href) = document
            .get_element_by_id("stripe-js")
            .and_then(|link| link.get_attribute("href"))
        else {
            return;
        };
        if let (Ok(script), Some(body)) = (document.create_element("script"), document.body()) {
            let _ = script.set_attribute("id", "stripe-js-script");
            let _ = script.set_attribute("src", &href);
            let _ = body.append_child(&script);
        }
    }

    /// `Stripe(publishableKey)`, waiting up to 10 s for Stripe.js to load.
    pub async fn stripe(publishable_key: &str) -> Option<JsValue> {
        load_stripe_js();
        for _ in 0..50 {
            let window: JsValue = leptos::prelude::window().into();
            let constructor = get(&window, "Stripe");
            if let Ok(f) = constructor.dyn_into::<Function>() {
                // Called, not `new`ed: Stripe.js allows both, its test doubles only this.
                return f.call1(&window, &JsValue::from_str(publishable_key)).ok();
            }
            sleep(200).await;
        }
        None
    }

    /// Mounts a card element in the node with the given id.
    pub fn mount_card(stripe: &JsValue, node_id: &str) -> Result<JsValue, JsValue> {
        let elements = call(stripe, "elements", &[])?;
        // 16 px keeps phones from zooming into the field.
        let style = obj(&[(
            "base",
            obj(&[("fontSize", "16px".into()), ("color", "#1b1f24".into())]),
        )]);
        let card = call(
            &elements,
            "create",
            &["card".into(), obj(&[("style", style)])],
        )?;
        call(&card, "mount", &[format!("#{node_id}").into()])?;
        Ok(card)
    }

    /// Why Stripe.js refused: (code, message, is it a form-validation message).
    pub struct JsError {
        pub code: String,
        pub message: String,
        pub validation: bool,
    }

    fn js_error(error: &JsValue) -> JsError {
        let message = get_str(error, "message").unwrap_or_default();
        let code = get_str(error, "decline_code")
            .or_else(|| get_str(error, "code"))
            .unwrap_or_else(|| {
                if message.to_ascii_lowercase().contains("authenticat") {
                    "setup_intent_authentication_failure".into()
                } else {
                    "card_declined".into()
                }
            });
        JsError {
            validation: get_str(error, "type").as_deref() == Some("validation_error"),
            code,
            message,
        }
    }

    /// `confirmCardSetup` with the typed card (or a wallet's PaymentMethod id): the
    /// confirmed SetupIntent's id.
    pub async fn confirm_setup(
        stripe: &JsValue,
        secret: &str,
        card: JsValue,
    ) -> Result<String, JsError> {
        let data = obj(&[("payment_method", card)]);
        let result = call_async(stripe, "confirmCardSetup", &[secret.into(), data])
            .await
            .map_err(|e| js_error(&e))?;
        let error = get(&result, "error");
        if error.is_object() {
            return Err(js_error(&error));
        }
        let setup = get(&result, "setupIntent");
        match (get_str(&setup, "id"), get_str(&setup, "status")) {
            (Some(id), Some(status)) if status == "succeeded" || status == "processing" => Ok(id),
            _ => Err(js_error(&get(&setup, "last_setup_error"))),
        }
    }

    /// `confirmCardPayment`: with `card` (the card element's data, or a wallet's
    /// PaymentMethod id), it confirms a new card's payment, asking the bank for 3-D Secure
    /// only when the bank wants it; without, it finishes 3-D Secure on a payment already
    /// confirmed. The server asks Stripe how it ended; this only says what Stripe.js
    /// reported, for when the server has nothing better.
    pub async fn confirm_payment(
        stripe: &JsValue,
        secret: &str,
        card: Option<JsValue>,
    ) -> Option<JsError> {
        let data = match card {
            Some(card) => obj(&[("payment_method", card)]),
            None => obj(&[]),
        };
        match call_async(stripe, "confirmCardPayment", &[secret.into(), data]).await {
            Err(e) => Some(js_error(&e)),
            Ok(result) => {
                let error = get(&result, "error");
                if error.is_object() {
                    return Some(js_error(&error));
                }
                let last = get(&get(&result, "paymentIntent"), "last_payment_error");
                last.is_object().then(|| js_error(&last))
            }
        }
    }

    /// `confirmCardPayment` with a wallet's PaymentMethod, leaving any bank check for after
    /// the wallet's sheet has closed (`handleActions: false`, as Stripe documents for the
    /// payment request button): the intent's status.
    pub async fn confirm_wallet(
        stripe: &JsValue,
        secret: &str,
        method: &str,
    ) -> Result<String, JsError> {
        let data = obj(&[("payment_method", method.into())]);
        let options = obj(&[("handleActions", false.into())]);
        let result = call_async(
            stripe,
            "confirmCardPayment",
            &[secret.into(), data, options],
        )
        .await
        .map_err(|e| js_error(&e))?;
        let error = get(&result, "error");
        if error.is_object() {
            return Err(js_error(&error));
        }
        Ok(get_str(&get(&result, "paymentIntent"), "status").unwrap_or_default())
    }

    /// The payment request button (Apple Pay, Google Pay), if Stripe.js has it and the
    /// browser can pay with it. Calls `on_method` with each PaymentMethod id and the event
    /// (for `complete`).
    pub async fn wallet(
        stripe: &JsValue,
        country: &str,
        currency: &str,
        label: &str,
        cents: i64,
        node_id: &str,
        on_method: impl Fn(String, JsValue) + 'static,
    ) -> Option<JsValue> {
        let request = call(
            stripe,
            "paymentRequest",
            &[obj(&[
                ("country", country.into()),
                ("currency", currency.into()),
                ("total", total(label, cents)),
            ])],
        )
        .ok()
        .filter(JsValue::is_object)?;
        let can = call_async(&request, "canMakePayment", &[]).await.ok()?;
        if !can.is_truthy() {
            return None;
        }
        let elements = call(stripe, "elements", &[]).ok()?;
        let button = call(
            &elements,
            "create",
            &[
                "paymentRequestButton".into(),
                obj(&[("paymentRequest", request.clone())]),
            ],
        )
        .ok()?;
        let handler = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| {
            let method = get(&event, "paymentMethod");
            if let Some(id) = get_str(&method, "id") {
                on_method(id, event);
            }
        });
        call(
            &request,
            "on",
            &["paymentmethod".into(), handler.as_ref().clone()],
        )
        .ok()?;
        handler.forget();
        call(&button, "mount", &[format!("#{node_id}").into()]).ok()?;
        Some(request)
    }

    pub fn total(label: &str, cents: i64) -> JsValue {
        obj(&[("label", label.into()), ("amount", (cents as f64).into())])
    }

    /// Tells the wallet sheet how it went.
    pub fn complete(event: &JsValue, ok: bool) {
        let _ = call(
            event,
            "complete",
            &[if ok { "success" } else { "fail" }.into()],
        );
    }

    pub fn go(url: &str) {
        let _ = leptos::prelude::window().location().set_href(url);
    }

    pub fn reload() {
        let _ = leptos::prelude::window().location().reload();
    }
}

/// How the pay form reaches the server: signed in, or through a pay link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PayVia {
    Portal,
    Link { token: String },
}

/// The pay form. `amount` is prefilled (and fixed for a pay link, and for a data add-on
/// being paid, `data_addon`); `cards` are the saved cards to choose from.
#[cfg_attr(any(feature = "ssr", feature = "payments"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "payments")), component)]
pub fn PayForm(
    via: PayVia,
    publishable_key: String,
    amount: String,
    min: String,
    max: String,
    currency: String,
    country: String,
    cards: Vec<SavedCard>,
    provider_name: String,
    data_addon: Option<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let p = t.pay();
    let link = matches!(via, PayVia::Link { .. });
    // The amount is decided by the server: a statement's through its link, an add-on's.
    let fixed = link || data_addon.is_some();
    let amount = RwSignal::new(amount);
    let amount_error = RwSignal::new(None::<String>);
    let card_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<String>);
    let wallet_ready = RwSignal::new(false);
    let default_card = cards
        .iter()
        .find(|c| c.is_default && !c.expired)
        .or_else(|| cards.iter().find(|c| !c.expired))
        .map(|c| c.id);
    let choice = RwSignal::new(default_card);
    let save = RwSignal::new(false);
    let money_code = billing::Currency::parse(&currency.to_ascii_uppercase()).ok();
    // The typed amount, read the account's locale's way (the server reads it the same way).
    let typed_money = move |text: &str| money_code.and_then(|code| f.parse_money(text, code).ok());
    let button_label = move || match typed_money(&amount.get()) {
        Some(m) if m.is_positive() => (p.pay_button)(&f.money(&m)),
        _ => p.pay_button_plain.to_string(),
    };

    #[cfg(feature = "hydrate")]
    let submit: std::rc::Rc<dyn Fn()> = {
        use std::cell::RefCell;
        use std::rc::Rc;
        use wasm_bindgen::JsValue;

        let live = Rc::new(RefCell::new(Live {
            attempt: js::attempt_key(),
            ..Default::default()
        }));
        // A refused payment puts the keyboard where the problem is: the amount field, or
        // the message about the card or the form (each can take focus).
        // After the message is drawn (an empty message is not shown, and cannot be focused).
        let focus = |id: &'static str| {
            leptos::prelude::request_animation_frame(move || {
                use wasm_bindgen::JsCast;
                if let Some(element) = leptos::prelude::document()
                    .get_element_by_id(id)
                    .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
                {
                    let _ = element.focus();
                }
            });
        };
        let show_error = move |e: AppError| match &e {
            AppError::InvalidInput { field, .. } if field == "amount" || field.is_empty() => {
                amount_error.set(Some((t.error)(&e)));
                focus("amount");
            }
            AppError::PaymentFailed { .. } => {
                card_error.set(Some((t.error)(&e)));
                focus("card-error");
            }
            _ => {
                form_error.set(Some((t.error)(&e)));
                focus("form-error");
            }
        };
        let js_words = move |e: js::JsError| {
            if e.validation && !e.message.is_empty() {
                e.message
            } else {
                (p.decline)(&e.code).to_string()
            }
        };
        // The wallet sheet's total, in the currency's minor unit (0 when not an amount).
        let cents_of = move |text: &str| -> i64 {
            typed_money(text)
                .and_then(|m| m.to_minor_units().ok())
                .unwrap_or(0)
        };

        // The payment itself: start (or find again) the payment, then do what it asks.
        // `wallet` is a wallet's PaymentMethod and its event.
        let pay = {
            let live = live.clone();
            let via = via.clone();
            Rc::new(move |wallet: Option<(String, JsValue)>| {
                let live = live.clone();
                let via = via.clone();
                leptos::task::spawn_local(async move {
                    busy.set(true);
                    amount_error.set(None);
                    card_error.set(None);
                    form_error.set(None);
                    let typed = amount.get_untracked();
                    let saved = if wallet.is_some() {
                        None
                    } else {
                        choice.get_untracked()
                    };
                    // Kept only for a new card, never for a pay link's.
                    let keep = saved.is_none() && !link && save.get_untracked();
                    let attempt = {
                        let mut l = live.borrow_mut();
                        let key = (typed.clone(), saved, keep);
                        if l.attempt_for.as_ref().is_some_and(|k| *k != key) {
                            l.attempt = js::attempt_key();
                        }
                        l.attempt_for = Some(key);
                        l.attempt.clone()
                    };
                    let started = match &via {
                        PayVia::Portal => {
                            crate::api::payments::start_card_payment(
                                typed, attempt, saved, data_addon, keep,
                            )
                            .await
                        }
                        PayVia::Link { token } => {
                            crate::api::payments::pay_link_start(token.clone(), attempt).await
                        }
                    };
                    let outcome = run(&live, &via, started, wallet.as_ref(), js_words).await;
                    match outcome {
                        Ok(done_progress) => match (&via, done_progress.state) {
                            (PayVia::Portal, _) => {
                                js::go(&format!("/payments/{}", done_progress.payment_id));
                                return;
                            }
                            (PayVia::Link { .. }, PayState::Succeeded) => {
                                done.set(Some((p.link_done)(
                                    &button_label_amount(&amount.get_untracked(), money_code, f),
                                    done_progress.payment_id,
                                )));
                            }
                            _ => form_error.set(Some((t.error)(&AppError::Internal))),
                        },
                        Err(Refusal::Server(e)) => {
                            if matches!(
                                e,
                                AppError::PaymentFailed { .. } | AppError::Conflict { .. }
                            ) {
                                // The refused payment is over: another try is a new one.
                                let mut l = live.borrow_mut();
                                l.attempt = js::attempt_key();
                                l.attempt_for = None;
                            }
                            show_error(e)
                        }
                        Err(Refusal::Card(words)) => card_error.set(Some(words)),
                    }
                    busy.set(false);
                });
            })
        };

        // Stripe.js: the card element, then the wallet button where there is one.
        {
            let live = live.clone();
            let pay = pay.clone();
            let label = provider_name.clone();
            let publishable_key = publishable_key.clone();
            Effect::new(move |_| {
                let live = live.clone();
                let pay = pay.clone();
                let label = label.clone();
                let publishable_key = publishable_key.clone();
                let country = country.clone();
                let currency = currency.clone();
                leptos::task::spawn_local(async move {
                    let Some(stripe) = js::stripe(&publishable_key).await else {
                        form_error.set(Some(p.stripe_not_loaded.to_string()));
                        return;
                    };
                    match js::mount_card(&stripe, "card-element") {
                        Ok(card) => live.borrow_mut().card = Some(card),
                        Err(_) => form_error.set(Some(p.stripe_not_loaded.to_string())),
                    }
                    live.borrow_mut().stripe = Some(stripe.clone());
                    let on_method = move |method: String, event: JsValue| {
                        pay(Some((method, event)));
                    };
                    let cents = cents_of(&amount.get_untracked());
                    if let Some(request) = js::wallet(
                        &stripe,
                        &country,
                        &currency,
                        &label,
                        cents,
                        "wallet-button",
                        on_method,
                    )
                    .await
                    {
                        live.borrow_mut().wallet = Some(request);
                        wallet_ready.set(true);
                    }
                });
            });
        }
        // The wallet sheet shows the amount typed.
        {
            let live = live.clone();
            let label = provider_name.clone();
            Effect::new(move |_| {
                let cents = cents_of(&amount.get());
                if let Some(request) = live.borrow().wallet.as_ref() {
                    if cents > 0 {
                        let _ = js::call(
                            request,
                            "update",
                            &[js::obj(&[("total", js::total(&label, cents))])],
                        );
                    }
                }
            });
        }
        let submit: std::rc::Rc<dyn Fn()> = std::rc::Rc::new(move || pay(None));
        submit
    };
    #[cfg(not(feature = "hydrate"))]
    let submit: std::rc::Rc<dyn Fn()> = {
        let _ = (&via, &publishable_key, &country, &currency, &provider_name);
        std::rc::Rc::new(|| ())
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !busy.get_untracked() {
            submit();
        }
    };

    let has_cards = !cards.is_empty();
    let amount_hint = (p.amount_hint)(&min, &max);
    view! {
        <div class="pay-form-wrap">
            {move || done.get().map(|text| view! {
                <p class="notice notice-success" role="status" data-testid="pay-done">{text}</p>
            })}
            <form class="stack pay-form" novalidate=true on:submit=on_submit
                class:hidden=move || done.get().is_some() data-testid="pay-form">
                <div class="wallet" class:hidden=move || !wallet_ready.get()>
                    <div id="wallet-button" aria-label=p.wallet_label></div>
                    <p class="muted small">{p.wallet_or}</p>
                </div>
                {(!fixed).then(|| view! {
                    <div class="field">
                        <label for="amount">{p.amount_label}</label>
                        <div class="amount-input">
                            <input id="amount" name="amount" type="text" inputmode="decimal" autocomplete="off"
                                required aria-describedby="amount-hint amount-error"
                                aria-invalid=move || amount_error.get().is_some().to_string()
                                prop:value=move || amount.get()
                                on:input=move |ev| { amount.set(event_target_value(&ev)); amount_error.set(None); } />
                        </div>
                        <p id="amount-hint" class="hint">{amount_hint.clone()}</p>
                        <p id="amount-error" class="field-error" role="alert" data-testid="amount-error">{move || amount_error.get()}</p>
                    </div>
                })}
                {has_cards.then(|| view! {
                    <fieldset class="field card-choice">
                        <legend>{p.pay_with}</legend>
                        {cards.iter().map(|c| {
                            let id = c.id;
                            let words = (p.card_line)(&c.brand, &c.last4);
                            view! {
                                <label class="choice" class:disabled=c.expired>
                                    <input type="radio" name="card" value=id.to_string() disabled=c.expired
                                        prop:checked=move || choice.get() == Some(id)
                                        on:change=move |_| choice.set(Some(id)) />
                                    <span>{words} " " <span class="muted">{(c.exp_year != 0).then(|| (p.card_expires)(c.exp_month, c.exp_year))}</span>
                                    {c.expired.then(|| view! { " " <span class="badge badge-overdue">{p.card_expired}</span> })}</span>
                                </label>
                            }
                        }).collect_view()}
                        <label class="choice">
                            <input type="radio" name="card" value="new" prop:checked=move || choice.get().is_none()
                                on:change=move |_| choice.set(None) data-testid="new-card" />
                            <span>{p.new_card}</span>
                        </label>
                    </fieldset>
                })}
                <div class="field" class:hidden=move || choice.get().is_some()>
                    <label for="card-element">{p.card_details}</label>
                    <div id="card-element" class="card-element" data-testid="card-element"></div>
                    {(!link).then(|| view! {
                        <label class="check">
                            <input type="checkbox" name="save" prop:checked=move || save.get()
                                on:change=move |ev| save.set(event_target_checked(&ev)) />
                            <span>{p.save_card}</span>
                        </label>
                    })}
                </div>
                <p id="card-error" class="field-error card-error" role="alert" tabindex="-1" data-testid="card-error">{move || card_error.get()}</p>
                <p id="form-error" class="field-error" role="alert" tabindex="-1" data-testid="form-error">{move || form_error.get()}</p>
                <button type="submit" class="button button-primary button-big" data-testid="pay-button"
                    disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                    {move || if busy.get() { p.paying.to_string() } else { button_label() }}
                </button>
                <p class="muted small">{p.secure_note}</p>
            </form>
        </div>
    }
}

/// The amount as the thank-you line shows it.
#[cfg(feature = "hydrate")]
fn button_label_amount(
    typed: &str,
    currency: Option<billing::Currency>,
    f: crate::i18n::Formats,
) -> String {
    match currency.and_then(|c| f.parse_money(typed, c).ok()) {
        Some(m) => f.money(&m),
        None => typed.to_string(),
    }
}

/// The pay form's live Stripe.js objects and its attempt key.
#[cfg(feature = "hydrate")]
#[derive(Default)]
struct Live {
    stripe: Option<wasm_bindgen::JsValue>,
    card: Option<wasm_bindgen::JsValue>,
    wallet: Option<wasm_bindgen::JsValue>,
    attempt: String,
    /// The amount, card and wish to keep it the attempt key was used with: another is
    /// another payment.
    attempt_for: Option<(String, Option<i64>, bool)>,
}

/// Why a payment did not go through.
#[cfg(feature = "hydrate")]
enum Refusal {
    /// The server refused (a decline, in words, or a wrong amount).
    Server(AppError),
    /// Stripe.js refused the card before our server saw it.
    Card(String),
}

/// Takes a started payment through Stripe.js until it is paid, refused or needs nothing
/// more from the browser.
#[cfg(feature = "hydrate")]
async fn run(
    live: &std::rc::Rc<std::cell::RefCell<Live>>,
    via: &PayVia,
    started: Result<PayProgress, AppError>,
    wallet: Option<&(String, wasm_bindgen::JsValue)>,
    words: impl Fn(js::JsError) -> String,
) -> Result<PayProgress, Refusal> {
    let progress = started.map_err(Refusal::Server)?;
    let (PayState::Pending | PayState::RequiresAction, Some(secret)) =
        (progress.state, progress.client_secret.clone())
    else {
        // A saved card charged at once (or a payment already over).
        if let Some((_, event)) = wallet {
            js::complete(event, true);
        }
        return Ok(progress);
    };
    // A saved card may be charged before Stripe.js has loaded; it is needed only for a new
    // card or 3-D Secure, and then waited for.
    let stripe = async {
        for _ in 0..50 {
            if let Some(stripe) = live.borrow().stripe.clone() {
                return Ok(stripe);
            }
            js::sleep(200).await;
        }
        Err(Refusal::Server(AppError::Unavailable))
    }
    .await?;
    // A new card confirms the payment itself (the bank asked at most once); a card already
    // given only answers the bank. A wallet's sheet closes before any bank check.
    let reported = match (progress.state, wallet) {
        (PayState::Pending, Some((method, event))) => {
            let confirmed = js::confirm_wallet(&stripe, &secret, method).await;
            js::complete(event, confirmed.is_ok());
            match confirmed {
                Ok(status) if status == "requires_action" => {
                    js::confirm_payment(&stripe, &secret, None).await
                }
                Ok(_) => None,
                Err(e) => Some(e),
            }
        }
        (PayState::Pending, None) => {
            let card = live
                .borrow()
                .card
                .clone()
                .ok_or(Refusal::Server(AppError::Unavailable))?;
            js::confirm_payment(&stripe, &secret, Some(js::obj(&[("card", card)]))).await
        }
        (_, wallet) => {
            if let Some((_, event)) = wallet {
                js::complete(event, true);
            }
            js::confirm_payment(&stripe, &secret, None).await
        }
    };
    let after = finish(via, progress.payment_id)
        .await
        .map_err(Refusal::Server)?;
    match (after.state, reported) {
        // Stripe.js refused the card before the bank saw it (an incomplete number): the
        // payment is still open, and the same attempt tries again.
        (PayState::Pending, Some(e)) => Err(Refusal::Card(words(e))),
        (PayState::RequiresAction, reported) => {
            Err(Refusal::Card(words(reported.unwrap_or(js::JsError {
                code: "payment_intent_authentication_failure".into(),
                message: String::new(),
                validation: false,
            }))))
        }
        _ => Ok(after),
    }
}

#[cfg(feature = "hydrate")]
async fn finish(via: &PayVia, payment_id: i64) -> Result<PayProgress, AppError> {
    match via {
        PayVia::Portal => crate::api::payments::finish_card_payment(payment_id).await,
        PayVia::Link { token } => {
            crate::api::payments::pay_link_finish(token.clone(), payment_id).await
        }
    }
}

/// Adding a card on the cards page (a SetupIntent; nothing is charged).
#[cfg_attr(any(feature = "ssr", feature = "payments"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "payments")), component)]
pub fn AddCardForm(publishable_key: String) -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "hydrate")]
    let t = i18n.t;
    let p = i18n.t.pay();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    #[cfg(feature = "hydrate")]
    let state: std::rc::Rc<
        std::cell::RefCell<Option<(wasm_bindgen::JsValue, wasm_bindgen::JsValue)>>,
    > = Default::default();
    #[cfg(feature = "hydrate")]
    {
        let state = state.clone();
        Effect::new(move |_| {
            if !open.get() || state.borrow().is_some() {
                return;
            }
            let state = state.clone();
            let publishable_key = publishable_key.clone();
            leptos::task::spawn_local(async move {
                let Some(stripe) = js::stripe(&publishable_key).await else {
                    error.set(Some(p.stripe_not_loaded.to_string()));
                    return;
                };
                match js::mount_card(&stripe, "new-card-element") {
                    Ok(card) => *state.borrow_mut() = Some((stripe, card)),
                    Err(_) => error.set(Some(p.stripe_not_loaded.to_string())),
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = publishable_key;

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if !busy.get_untracked() {
            let Some((stripe, card)) = state.borrow().clone() else {
                return;
            };
            leptos::task::spawn_local(async move {
                busy.set(true);
                error.set(None);
                let result = async {
                    let secret = crate::api::payments::start_card_setup()
                        .await
                        .map_err(|e| (t.error)(&e))?;
                    let setup = js::confirm_setup(&stripe, &secret, js::obj(&[("card", card)]))
                        .await
                        .map_err(|e| {
                            if e.validation && !e.message.is_empty() {
                                e.message
                            } else {
                                (p.decline)(&e.code).to_string()
                            }
                        })?;
                    crate::api::payments::finish_card_setup(setup)
                        .await
                        .map_err(|e| (t.error)(&e))
                }
                .await;
                match result {
                    Ok(_) => js::go("/cards?saved=1"),
                    Err(words) => {
                        error.set(Some(words));
                        busy.set(false);
                    }
                }
            });
        }
    };

    view! {
        <div class="add-card">
            <button type="button" class="button" class:hidden=move || open.get()
                on:click=move |_| open.set(true) data-testid="add-card">{p.add_card}</button>
            <form class="stack" class:hidden=move || !open.get() on:submit=on_submit novalidate=true>
                <div class="field">
                    <label for="new-card-element">{p.card_details}</label>
                    <div id="new-card-element" class="card-element" data-testid="card-element"></div>
                </div>
                <p class="field-error" role="alert" data-testid="card-error">{move || error.get()}</p>
                <button type="submit" class="button button-primary button-big" data-testid="save-card"
                    disabled=move || busy.get()>
                    {move || if busy.get() { p.saving } else { p.save_new_card }}
                </button>
                <p class="muted small">{p.secure_note}</p>
            </form>
        </div>
    }
}

/// "Confirm with your bank", for an autopay payment waiting for 3-D Secure.
#[cfg_attr(any(feature = "ssr", feature = "payments"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "payments")), component)]
pub fn ConfirmPayment(payment_id: i64, publishable_key: String) -> impl IntoView {
    let i18n = use_i18n();
    let (t, p) = (i18n.t, i18n.t.pay());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let publishable_key = publishable_key.clone();
            leptos::task::spawn_local(async move {
                busy.set(true);
                error.set(None);
                let result: Result<(), String> = async {
                    let stripe = js::stripe(&publishable_key)
                        .await
                        .ok_or_else(|| p.stripe_not_loaded.to_string())?;
                    let progress = crate::api::payments::finish_card_payment(payment_id)
                        .await
                        .map_err(|e| (t.error)(&e))?;
                    if let (PayState::RequiresAction, Some(secret)) =
                        (progress.state, progress.client_secret)
                    {
                        let reported = js::confirm_payment(&stripe, &secret, None).await;
                        let after = crate::api::payments::finish_card_payment(payment_id)
                            .await
                            .map_err(|e| (t.error)(&e))?;
                        if after.state == PayState::RequiresAction {
                            let code = reported
                                .map(|e| e.code)
                                .unwrap_or_else(|| "payment_intent_authentication_failure".into());
                            return Err((p.decline)(&code).to_string());
                        }
                    }
                    Ok(())
                }
                .await;
                match result {
                    Ok(()) => js::reload(),
                    Err(words) => {
                        error.set(Some(words));
                        busy.set(false);
                        // A declined payment is final: the page shows it.
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&publishable_key, payment_id, t);
    };
    view! {
        <div class="stack">
            <button type="button" class="button button-primary button-big" on:click=confirm
                disabled=move || busy.get() data-testid="confirm-with-bank">
                {move || if busy.get() { p.confirming } else { p.confirm_with_bank }}
            </button>
            <p class="field-error" role="alert" data-testid="card-error">{move || error.get()}</p>
        </div>
    }
}
