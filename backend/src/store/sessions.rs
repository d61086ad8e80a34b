//! Sign-in state: sessions (the token's SHA-256 only, never the token) and OIDC
//! logins under way (state, PKCE verifier, nonce) between `/auth/login` and the callback.

use super::sql::Sql;
use super::{col, json_list, Store, StoreError};

/// A signed-in person.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub subject: String,
    pub name: String,
    pub roles: Vec<String>,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// An OIDC login between redirect and callback.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRow {
    pub verifier: String,
    pub nonce: String,
    pub return_to: String,
    pub created_at: i64,
}

pub fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token)
}

impl Store {
    /// Stores a session and its `auth.signed_in` record in one transaction.
    pub async fn create_session(&self, token: &str, s: &SessionRow, now: i64, method: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let roles = serde_json::to_string(&s.roles).unwrap_or_else(|_| "[]".into());
        let mut sql = Sql::new(
            self.engine(),
            "INSERT INTO sessions (token_hash, subject, name, roles, csrf_token, created_at, expires_at) VALUES (",
        );
        sql.arg(token_hash(token))
            .push(", ")
            .arg(s.subject.clone())
            .push(", ")
            .arg(s.name.clone())
            .push(", ")
            .arg(roles)
            .push(", ")
            .arg(s.csrf_token.clone())
            .push(", ")
            .arg(now)
            .push(", ")
            .arg(s.expires_at)
            .push(")");
        sql.query().execute(&mut *tx).await?;
        let details = serde_json::json!({"method": method, "roles": s.roles});
        self.audit(&mut tx, now, &s.subject, "auth.signed_in", &format!("user:{}", s.subject), details).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session of a token, if any.
    pub async fn session(&self, token: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM sessions WHERE token_hash = ");
        sql.arg(token_hash(token)).push(" AND expires_at > ").arg(now);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.map(|r| {
            Ok(SessionRow {
                subject: col(&r, "subject")?,
                name: col(&r, "name")?,
                roles: json_list(&col::<String>(&r, "roles")?),
                csrf_token: col(&r, "csrf_token")?,
                expires_at: col(&r, "expires_at")?,
            })
        })
        .transpose()
    }

    /// Ends a session, with its `auth.signed_out` record, in one transaction.
    pub async fn delete_session(&self, token: &str, subject: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), "DELETE FROM sessions WHERE token_hash = ");
        sql.arg(token_hash(token));
        if sql.query().execute(&mut *tx).await?.rows_affected() > 0 {
            let details = serde_json::json!({});
            self.audit(&mut tx, now, subject, "auth.signed_out", &format!("user:{subject}"), details).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of `subject` (an admin's revocation), with its
    /// `auth.sessions_revoked` record naming `actor`, in one transaction; returns how many.
    pub async fn revoke_sessions(&self, subject: &str, actor: &str, now: i64) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), "DELETE FROM sessions WHERE subject = ");
        sql.arg(subject).push(" AND expires_at > ").arg(now);
        let ended = i64::try_from(sql.query().execute(&mut *tx).await?.rows_affected()).unwrap_or(i64::MAX);
        let details = serde_json::json!({"sessions_ended": ended});
        self.audit(&mut tx, now, actor, "auth.sessions_revoked", &format!("user:{subject}"), details).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Removes expired sessions and logins older than `login_cutoff`.
    pub async fn prune_sign_ins(&self, now: i64, login_cutoff: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "DELETE FROM sessions WHERE expires_at <= ");
        sql.arg(now);
        sql.query().execute(self.writer()).await?;
        let mut sql = Sql::new(self.engine(), "DELETE FROM oidc_logins WHERE created_at < ");
        sql.arg(login_cutoff);
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// Stores a login under way unless `cap` logins are under way already (`false`):
    /// `/auth/login` needs no sign-in, so its rows must not grow without bound.
    pub async fn save_login(&self, state: &str, login: &LoginRow, cap: i64) -> Result<bool, StoreError> {
        let count = sqlx::query("SELECT COUNT(*) AS n FROM oidc_logins").fetch_one(self.pool()).await?;
        if col::<i64>(&count, "n")? >= cap {
            return Ok(false);
        }
        let mut sql =
            Sql::new(self.engine(), "INSERT INTO oidc_logins (state, verifier, nonce, return_to, created_at) VALUES (");
        sql.arg(state)
            .push(", ")
            .arg(login.verifier.clone())
            .push(", ")
            .arg(login.nonce.clone())
            .push(", ")
            .arg(login.return_to.clone())
            .push(", ")
            .arg(login.created_at)
            .push(")");
        sql.query().execute(self.writer()).await?;
        Ok(true)
    }

    /// The login of a state, removed so that it can be used once only.
    pub async fn take_login(&self, state: &str) -> Result<Option<LoginRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut sql = Sql::new(self.engine(), "SELECT * FROM oidc_logins WHERE state = ");
        sql.arg(state);
        let row = sql.query().fetch_optional(&mut *tx).await?;
        let mut del = Sql::new(self.engine(), "DELETE FROM oidc_logins WHERE state = ");
        del.arg(state);
        let deleted = del.query().execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        match row {
            Some(r) if deleted == 1 => Ok(Some(LoginRow {
                verifier: col(&r, "verifier")?,
                nonce: col(&r, "nonce")?,
                return_to: col(&r, "return_to")?,
                created_at: col(&r, "created_at")?,
            })),
            _ => Ok(None),
        }
    }
}
