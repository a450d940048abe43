//! A statement as a PDF: its owner downloads it from the statement page; nobody else learns
//! that it exists.

use lastmile::documents::Logo;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = "../migrations")]
async fn the_owner_downloads_the_statement_as_a_pdf_from_its_page(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (id, number, total) = latest_statement(&portal, ALEX_NUMBER).await;
    let amounts: Vec<rust_decimal::Decimal> =
        sqlx::query_scalar("select amount from statement_lines where statement_id = $1")
            .bind(id)
            .fetch_all(&portal.pool)
            .await
            .unwrap();
    let alex = portal.signed_in(ALEX_EMAIL).await;

    let (_, html) = portal.page(&alex, &format!("/statements/{id}")).await;
    assert!(
        html.contains(&format!(r#"href="/statements/{id}/pdf""#)),
        "the statement page links to its PDF"
    );

    let response = alex
        .get(portal.url(&format!("/statements/{id}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"statement-{number}.pdf\"").as_str()
    );
    let cache = headers["cache-control"].to_str().unwrap();
    assert!(
        cache.contains("no-store") && cache.contains("private"),
        "{cache}"
    );

    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    let text = inflated(&pdf);
    assert!(text.contains(&format!("(Statement {number})")), "{text}");
    assert!(text.contains(&format!("({})", dollars(total))));
    assert!(text.contains("(Lastmile Broadband)"));
    assert!(!amounts.is_empty());
    for amount in amounts {
        assert!(
            text.contains(&format!("({})", dollars(amount))),
            "line amount {amount}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn nobody_else_gets_the_pdf_and_a_signed_out_browser_is_sent_to_sign_in(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (sam_statement, sam_number, _) = latest_statement(&portal, SAM_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;

    let response = alex
        .get(portal.url(&format!("/statements/{sam_statement}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_ne!(response.headers()["content-type"], "application/pdf");
    let body = response.text().await.unwrap();
    assert!(!body.contains(&sam_number) && !body.contains(SAM_NUMBER));

    for path in ["/statements/abc/pdf", "/statements/999999999/pdf"] {
        let response = alex.get(portal.url(path)).send().await.unwrap();
        assert_eq!(
            error_code(response).await,
            (404, "not_found".into()),
            "{path}"
        );
    }

    let stranger = portal.browser();
    let response = stranger
        .get(portal.url(&format!("/statements/{sam_statement}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/sign-in?next=/statements/{sam_statement}/pdf").as_str()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_configured_letterhead_and_logo_are_on_the_pdf(pool: PgPool) {
    let mut logo_png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut logo_png, 2, 2);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&[11, 92, 173, 128].repeat(4))
            .unwrap();
    }
    let logo = Logo::from_png(&logo_png, "test logo").unwrap();
    let portal = TestPortal::start_with(pool, |t| {
        t.provider.name = "Prairie Fiber Co-op".into();
        t.provider.address = vec!["400 Grain Elevator Road".into()];
        t.provider.logo = Some(logo);
    })
    .await;
    let (id, _, _) = latest_statement(&portal, ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;

    let pdf = alex
        .get(portal.url(&format!("/statements/{id}/pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let raw = String::from_utf8_lossy(&pdf);
    assert_eq!(raw.matches("/Subtype /Image").count(), 2, "logo and mask");
    let text = inflated(&pdf);
    assert!(text.contains("(Prairie Fiber Co-op)"));
    assert!(text.contains("(400 Grain Elevator Road)"));
    assert!(text.contains("/Im1 Do"));
}
