//! Helpers for the console's tests: a database of each engine, and a console
//! (store, syncer, API on a free port) pointed at a test sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::Arc;

use aws_sandbox as sandbox;
use recovery_console::config::{Config, Secret};
use recovery_console::routes::AppState;
use recovery_console::startup::{self, Deps};
use recovery_console::store::Store;
use recovery_console::sync::Syncer;
use serde_json::Value;
use sqlx::Executor;

use crate::common::TestSandbox;

pub struct TestDb {
    pub label: &'static str,
    pub url: Secret,
    /// The SQLite file, removed with its journal files when the test is done with it.
    file: Option<std::path::PathBuf>,
    /// The PostgreSQL database's name and the server's admin URL: dropped when the
    /// test is done with it, so that a run against a team's `DATABASE_URL` server
    /// leaves none of its databases behind.
    database: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.file {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((name, admin)) = self.database.take() {
            // Drop runs inside the test's runtime, which cannot block on a future:
            // the database is dropped from a thread of its own, with the console's
            // connections (its server task outlives the test body) ended by FORCE.
            let shown = name.clone();
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                runtime.block_on(async {
                    let pool = sqlx::AnyPool::connect(&admin).await.ok()?;
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let done = pool.execute(sql.as_str()).await;
                    pool.close().await;
                    done.ok()
                })
            });
            if !matches!(dropped.join(), Ok(Some(_))) {
                eprintln!("the test database {shown} could not be dropped; it is left on the server");
            }
        }
    }
}

/// A fresh SQLite file and a fresh PostgreSQL database (on the server named by
/// `TEST_POSTGRES_URL`, which `scripts/test.sh` starts). Every store test runs on both, except
/// `three_replicas_…` (PostgreSQL only), `discovery_…` and `credentials_…` (the AWS side, on SQLite).
pub async fn databases() -> Vec<TestDb> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let path = std::env::temp_dir().join(format!("rc-test-{id}.db"));
    let url = Secret::new(format!("sqlite://{}?mode=rwc", path.display()));
    let sqlite = TestDb { label: "sqlite", url, file: Some(path), database: None };
    let admin = std::env::var("TEST_POSTGRES_URL").expect(
        "TEST_POSTGRES_URL is not set: run the tests through scripts/test.sh, which starts a PostgreSQL for them",
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.expect("TEST_POSTGRES_URL does not answer");
    let name = format!("rc_test_{id}");
    pool.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    pool.close().await;
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = Secret::new(format!("{base}/{name}"));
    vec![sqlite, TestDb { label: "postgres", url, file: None, database: Some((name, admin)) }]
}

pub struct TestConsole {
    pub url: String,
    pub store: Store,
    pub syncer: Arc<Syncer>,
    pub executor: Arc<recovery_console::executor::Executor>,
    pub notifier: Arc<recovery_console::notify::Notifier>,
    pub state: AppState,
    pub http: reqwest::Client,
}

/// A console over `db`, configured (as `--write-config` would) for every member
/// account of the sandbox, with small pages so every list is paged; `adjust` may
/// change the configuration further.
pub async fn console(sb: &TestSandbox, db: &TestDb, adjust: impl FnOnce(&mut Config)) -> TestConsole {
    let mut cfg = Config::from_toml(&sandbox::console_config(&sb.url, &sb.sandbox.accounts())).unwrap();
    cfg.database.url = Some(db.url.clone());
    cfg.sync.interval_secs = 0;
    cfg.sync.page_size = Some(7);
    cfg.sync.job_lookback_days = 200;
    cfg.aws.max_attempts = 2;
    cfg.auth.demo_users = true;
    cfg.auth.anonymous_viewer = true;
    cfg.auth.cookie_secure = false;
    cfg.database.max_connections = 4;
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    adjust(&mut cfg);
    let credentials = aws_credential_types::Credentials::new("AKIACONSOLETEST00001", "secret", None, None, "test");
    let clock = Arc::clone(&sb.sandbox);
    let deps = Deps { credentials: Some(credentials), clock: Some(Arc::new(move || clock.now())) };
    let app = startup::build(cfg, deps).await.unwrap();
    let listener = app.bind().await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let c = app.console().clone();
    let state = app.state.clone();
    // The executor, notifier, drills and scheduled syncs do not run by themselves:
    // each test moves them on by hand (`.pass()`), so it knows what happened when.
    tokio::spawn(async move { app.serve(listener, std::future::pending()).await });
    TestConsole {
        url,
        store: c.store,
        syncer: c.syncer,
        executor: c.executor,
        notifier: c.notifier,
        state,
        http: reqwest::Client::new(),
    }
}

impl TestConsole {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.http.get(format!("{}{path}", self.url)).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Every item of a list, following `next_cursor` to the end.
    /// Signs in as a demo user; returns the bearer token.
    pub async fn sign_in(&self, user: &str) -> String {
        let resp = self
            .http
            .post(format!("{}/api/v1/auth/demo", self.url))
            .json(&serde_json::json!({ "user": user }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// Sends `method` with a JSON body (none when null) and a bearer token.
    pub async fn send_as(&self, method: reqwest::Method, token: &str, path: &str, body: Value) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(token);
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// GETs `path` with one header (a cookie, the ALB's header); returns the JSON body.
    pub async fn get_with(&self, path: &str, header: &str, value: &str) -> Value {
        let resp = self.http.get(format!("{}{path}", self.url)).header(header, value).send().await.unwrap();
        resp.json().await.unwrap_or(Value::Null)
    }

    pub async fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        let resp = self.http.get(format!("{}{path}", self.url)).bearer_auth(token).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// POSTs JSON (none when `body` is null) with a bearer token.
    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.url)).bearer_auth(token);
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn all(&self, path: impl Into<String>) -> Vec<Value> {
        let path = path.into();
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let sep = if path.contains('?') { '&' } else { '?' };
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.clone(),
            };
            let (status, body) = self.get(&url).await;
            assert_eq!(status, 200, "{url}: {body}");
            items.extend(body["items"].as_array().unwrap().iter().cloned());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
    }

    /// Values of one field over a whole list, sorted.
    pub async fn field(&self, path: &str, field: &str) -> Vec<String> {
        let mut v: Vec<String> =
            self.all(path).await.iter().map(|i| i[field].as_str().unwrap_or_default().to_string()).collect();
        v.sort();
        v
    }
}

/// A protected resource as a sync would store it, in `account` and the demo region,
/// with nothing read about its backups or restores.
pub fn resource_row(account: &str, arn: &str, kind: &str) -> recovery_console::store::ProtectedResourceRow {
    recovery_console::store::ProtectedResourceRow {
        account_id: account.into(),
        region: crate::common::REGION.into(),
        arn: arn.into(),
        resource_type: kind.into(),
        name: arn.rsplit(['/', ':']).next().map(str::to_string),
        last_backup_at: None,
        last_backup_vault_arn: None,
        last_recovery_point_arn: None,
        latest_restore_minutes: None,
        latest_restore_job_created_at: None,
        latest_restore_rp_created_at: None,
        tags: None,
    }
}

/// Makes every insert into `table` fail (a trigger that raises), as a full disk or a
/// lost connection would, until [`allow_inserts`].
pub async fn refuse_inserts(db: &TestDb, table: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
    if db.label == "postgres" {
        pool.execute(
            "CREATE OR REPLACE FUNCTION rc_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
        )
        .await
        .unwrap();
        pool.execute(
            format!("CREATE TRIGGER rc_refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION rc_test_refuse()")
                .as_str(),
        )
        .await
        .unwrap();
    } else {
        pool.execute(
            format!("CREATE TRIGGER rc_refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
                .as_str(),
        )
        .await
        .unwrap();
    }
    pool.close().await;
}

/// Undoes [`refuse_inserts`].
pub async fn allow_inserts(db: &TestDb, table: &str) {
    let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
    let on = if db.label == "postgres" { format!(" ON {table}") } else { String::new() };
    pool.execute(format!("DROP TRIGGER rc_refuse_{table}{on}").as_str()).await.unwrap();
    pool.close().await;
}

/// A webhook to `url` for `events`, signed with a test secret.
pub fn webhook_to(url: &str, events: &[&str]) -> recovery_console::config::WebhookConfig {
    recovery_console::config::WebhookConfig {
        url: Secret::new(url),
        secret: Secret::new("webhook-secret-for-tests"),
        events: events.iter().map(|e| e.to_string()).collect(),
    }
}
