//! Annual assessment (年度考核 / 民主测评): what both the API and the
//! evaluator's pages do with a ballot code — open the ballot, cast it, and
//! the result sheet — under the server's code [`Guard`].
//!
//! **Invariants:** a refused code writes nothing; failed code guesses are
//! counted per client IP ([`Guard`]: more than [`MAX_FAILURES`] a minute →
//! refused without looking the code up); nothing here records which code
//! was handed to or used by whom, or the client's address with a ballot.

use super::App;
use crate::error::ApiError;
use axum::http::StatusCode;
use lvzhi_core::access::Access;
use lvzhi_core::assess::{Grade, Item};
use lvzhi_store::StoreError;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed code guesses allowed per client IP within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
/// The window of [`MAX_FAILURES`].
pub const WINDOW: Duration = Duration::from_secs(60);

/// Failed code guesses per client IP, in memory (one per [`App`]).
#[derive(Default)]
pub struct Guard {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Guard {
    /// Whether `ip` has used up its failures in the last minute.
    pub fn blocked(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return false };
        let now = Instant::now();
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(q) = m.get_mut(&ip) else { return false };
        while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
        if q.is_empty() {
            m.remove(&ip);
            return false;
        }
        q.len() >= MAX_FAILURES
    }

    /// Records a failed guess from `ip`.
    pub fn failed(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        let now = Instant::now();
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bound the memory a flood of addresses can take.
        if m.len() > 100_000 {
            m.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let q = m.entry(ip).or_default();
        q.push_back(now);
        while q.len() > MAX_FAILURES {
            q.pop_front();
        }
    }

    /// The 429 answered while blocked.
    pub fn refusal() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "输入错误的选票码次数过多，请一分钟后再试",
        );
        e.details = json!({"retry_after_seconds": WINDOW.as_secs()});
        e
    }

    /// Runs a code lookup under the guard: refused while blocked; a 404
    /// (unknown code) counts as a failure.
    pub async fn check<T>(
        &self,
        ip: Option<IpAddr>,
        f: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if self.blocked(ip) {
            return Err(StoreError::BadRequest(GUARD_MARK.into()));
        }
        let r = f.await;
        if matches!(r, Err(StoreError::NotFound(_))) {
            self.failed(ip);
        }
        r
    }
}

/// Marks a refusal by the guard inside a `StoreError` (mapped to 429).
const GUARD_MARK: &str = "\u{1}guard";

/// The Chinese part of a store message ("选票码无效 / unknown …" → "选票码无效").
pub fn chinese(msg: &str) -> String {
    msg.split(" / ").next().unwrap_or(msg).to_string()
}

/// A store error for an evaluator: Chinese only; the guard's mark as 429.
pub fn evaluator_error(e: StoreError) -> ApiError {
    if let StoreError::BadRequest(m) = &e
        && m == GUARD_MARK
    {
        return Guard::refusal();
    }
    let mut a = ApiError::from(e);
    a.message = chinese(&a.message);
    a
}

impl App {
    /// The ballot a code opens: campaign, subjects, items and grades.
    pub async fn ballot(&self, ip: Option<IpAddr>, code: &str) -> Result<Value, StoreError> {
        let guard = &self.guard;
        let campaign = guard.check(ip, self.store.token_campaign(code)).await?;
        let c = guard.check(ip, self.store.ballot_campaign(campaign, code)).await?;
        Ok(json!({
            "campaign": {"id": c.id, "year": c.year, "title": c.title, "closes_at": c.closes_at},
            "subjects": c.subjects.iter().map(|s| json!({"id": s.id, "name": s.name, "post": s.post})).collect::<Vec<_>>(),
            "items": Item::ALL.iter().map(|i| i.label()).collect::<Vec<_>>(),
            "grades": Grade::ALL.iter().map(|g| g.label()).collect::<Vec<_>>(),
        }))
    }

    /// Casts a ballot under the guard; returns the receipt.
    pub async fn cast(
        &self,
        ip: Option<IpAddr>,
        campaign: i64,
        code: &str,
        grades: &Value,
    ) -> Result<String, StoreError> {
        self.guard
            .check(ip, self.store.cast_ballot(campaign, code, grades))
            .await
    }

    /// The result sheet of campaign `id` in `format` (`docx`/`xlsx`): bytes,
    /// content type and file name.
    pub async fn result_sheet(
        &self,
        access: &Access,
        id: i64,
        format: &str,
    ) -> Result<(Vec<u8>, &'static str, String), ApiError> {
        let r = self.store.campaign_results(access, id).await?;
        let objective =
            lvzhi_report::assess_sheet::objective(&self.store, self.engine(), access, &r.campaign, self.store.today())
                .await
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
        let sheet = lvzhi_report::assess_sheet::Sheet::new(&r, objective, self.store.today());
        let bad =
            |e: lvzhi_report::ReportError| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string());
        match format {
            "docx" => Ok((
                sheet.docx().map_err(bad)?,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                format!("{}测评结果.docx", r.campaign.title),
            )),
            "xlsx" => Ok((
                sheet.xlsx().map_err(bad)?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                format!("{}测评结果.xlsx", r.campaign.title),
            )),
            o => Err(ApiError::bad_request(format!("格式“{o}”无效（可选：docx、xlsx）"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_blocks_after_ten_failures_per_ip() {
        let g = Guard::default();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..MAX_FAILURES - 1 {
            g.failed(a);
        }
        assert!(!g.blocked(a));
        g.failed(a);
        assert!(g.blocked(a));
        assert!(!g.blocked(b), "per address");
        assert!(!g.blocked(None));
    }

    #[test]
    fn chinese_part() {
        assert_eq!(chinese("选票码无效 / unknown ballot code"), "选票码无效");
        assert_eq!(chinese("测评已经结束"), "测评已经结束");
    }
}
