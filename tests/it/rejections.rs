//! A query string or path segment that does not parse is answered like every
//! other bad input: JSON `{"error"}` in Indonesian for the API, a page for the
//! panel; never axum's bare English text.

use crate::harness::{get, served_addr, Env};

#[test]
fn unparsable_paths_and_queries_get_json_for_the_api_and_a_page_for_the_panel() {
    let env = Env::new("");
    let _daemon = env.serve();
    let addr = served_addr(&env);

    for path in ["/api/assignments/abc", "/api/assignments/12x/report"] {
        let reply = get(&addr, path, &[]);
        assert_eq!(reply.status, 400, "{path}");
        assert!(
            reply
                .header("content-type")
                .unwrap_or("")
                .starts_with("application/json"),
            "{path}: {:?}",
            reply.header("content-type")
        );
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            error.starts_with("path: alamat tidak valid"),
            "{path}: {error}"
        );
    }

    let reply = get(&addr, "/api/collages?limit=banyak", &[]);
    assert_eq!(reply.status, 400);
    let error = reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.starts_with("query: parameter alamat tidak valid"),
        "{error}"
    );
    assert!(error.contains("limit"), "names the field: {error}");

    // A page: the refusal page in Indonesian, not a line of English text.
    let reply = get(
        &addr,
        "/laporan?tanggal=1&tanggal=2",
        &[("Accept", "text/html")],
    );
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "{:?}",
        reply.header("content-type")
    );
    let body = String::from_utf8_lossy(&reply.body);
    assert!(
        body.contains("Permintaan ditolak") && body.contains("Kembali ke Beranda"),
        "{body}"
    );
    assert!(!body.starts_with("Failed to deserialize"), "{body}");
}
