//! Sign-in security: an authenticator app's code asked after the password (opt-in), with
//! recovery codes shown once.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::security::{load_security_page, Authenticator};
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::routes::sign_in::{field_error, focus_first_problem_in, form_error};

#[component]
pub fn SecurityPage() -> impl IntoView {
    let t = use_i18n().t;
    let page = Resource::new(|| (), |_| load_security_page());
    view! {
        <Title text=t.security().title />
        <div class="narrow security-page">
            <h1>{t.security().title}</h1>
            <p>{t.security().intro}</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! {
                            <p data-testid="security-state">
                                {if page.authenticator { (t.security().on)(page.recovery_left) } else { t.security().off.to_string() }}
                            </p>
                            <AuthenticatorForms enabled=page.authenticator />
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Setting the app up (its key, then a code from it, then the recovery codes), or turning it
/// off with a code. In a bundle of its own (`account`), so the portal's, which every page
/// loads, does not carry it.
#[cfg_attr(any(feature = "ssr", feature = "account"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "account")), component)]
fn AuthenticatorForms(enabled: bool) -> impl IntoView {
    let t = use_i18n().t;
    let x = t.security();
    // One server function for the three forms: what each did is remembered here.
    let action = ServerAction::<Authenticator>::new();
    let setup = RwSignal::new(None::<crate::types::security::AuthenticatorSetup>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let turned_off = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(answer)) = action.value().get() {
            if answer.setup.is_some() {
                setup.set(answer.setup);
            }
            if !answer.recovery_codes.is_empty() {
                codes.set(Some(answer.recovery_codes));
            }
            if answer.off {
                turned_off.set(true);
            }
        }
    });
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem_in("#authenticator".into(), move || error().is_some());
    let code_field = move |label: &'static str, testid: &'static str| {
        view! {
            <div class="field">
                <label for="authenticator-code">{label}</label>
                <input id="authenticator-code" name="code" type="text" autocomplete="one-time-code"
                    autocapitalize="none" spellcheck="false" required data-testid=testid
                    aria-describedby="authenticator-code-error"
                    aria-invalid=move || field_error(error(), "code").is_some().to_string() />
                <p id="authenticator-code-error" class="field-error">{move || field_error(error(), "code")}</p>
            </div>
        }
    };
    view! {
        <div id="authenticator" class="stack">
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
            {move || match (enabled, turned_off.get(), setup.get(), codes.get()) {
                (true, true, _, _) => view! {
                    <p class="notice notice-success" role="status" data-testid="authenticator-off">{x.turned_off}</p>
                }.into_any(),
                (true, false, _, _) => view! {
                    <ActionForm action=action attr:class="stack" attr:novalidate=true>
                        <input type="hidden" name="op" value="off" />
                        {code_field(x.turn_off_label, "turn-off-code")}
                        <button type="submit" class="button" data-testid="turn-off-authenticator"
                            disabled=move || action.pending().get()>{x.turn_off}</button>
                    </ActionForm>
                }.into_any(),
                (false, _, _, Some(codes)) => view! {
                    <section class="notice notice-success" role="status" aria-labelledby="codes-h">
                        <h2 id="codes-h">{x.codes_title}</h2>
                        <p>{x.codes_hint}</p>
                        <ul class="recovery-codes mono" data-testid="recovery-codes">
                            {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                        </ul>
                    </section>
                }.into_any(),
                (false, _, Some(setup), None) => view! {
                    <p>{x.key}</p>
                    <p class="mono authenticator-key" data-testid="authenticator-key">{setup.secret.clone()}</p>
                    <p><a href=setup.uri.clone() class="link-button">{x.open_app}</a></p>
                    <ActionForm action=action attr:class="stack" attr:novalidate=true>
                        <input type="hidden" name="op" value="confirm" />
                        {code_field(x.app_code_label, "confirm-code")}
                        <button type="submit" class="button button-primary" data-testid="confirm-authenticator"
                            disabled=move || action.pending().get()>{x.confirm}</button>
                    </ActionForm>
                }.into_any(),
                (false, _, None, None) => view! {
                    <ActionForm action=action>
                        <input type="hidden" name="op" value="start" />
                        <button type="submit" class="button button-primary" data-testid="start-authenticator"
                            disabled=move || action.pending().get()>{x.start}</button>
                    </ActionForm>
                }.into_any(),
            }}
        </div>
    }
}
