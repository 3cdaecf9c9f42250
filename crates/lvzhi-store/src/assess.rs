//! Annual assessment (民主测评): campaigns, one-time tokens, anonymous
//! ballots, results and the auditor's recount. The domain rules are in
//! [`lvzhi_core::assess`]; this module stores and counts.
//!
//! **Anonymity.** Nothing stored links a ballot to a token or a person:
//! * tokens are stored only as SHA-256 hashes with campaign, group and a
//!   `used` flag — no person, no time of use; the plaintext is returned once,
//!   to be printed;
//! * a ballot row holds campaign, group, a random receipt (drawn
//!   independently of the token) and the grades in canonical JSON — no id,
//!   no time, no token hash; on SQLite the table is `WITHOUT ROWID`, so rows
//!   sit in receipt order, not in the order they were cast;
//! * the ballot's event carries campaign, group, receipt and grades, the
//!   actor is the anonymous "匿名测评人", and its time is the hour only.
//!
//! What remains: the event's place in the chain (its `seq`) orders it among
//! other events, and on PostgreSQL the token row's update and the ballot row
//! are written by the same transaction (`xmin`) — shared with the other
//! requests of the same group commit. Neither reaches a person as long as
//! nobody records who was handed which token, which the system never does.
//!
//! **Double voting.** Casting marks the token used with
//! `UPDATE … SET used = TRUE WHERE hash = $1 AND campaign_id = $2 AND used = FALSE
//! AND <campaign open now>` and requires exactly one changed row, in the same
//! transaction (the single writer's savepoint) as the ballot insert: of two
//! concurrent casts with one token exactly one succeeds, and a ballot after
//! close is refused with nothing written.
//!
//! **Publication and recount.** Closing a campaign stops ballots; the tally
//! of the stored ballots is then published (stored with the campaign and
//! written into the `assess.campaign.publish` event). [`Store::recount`]
//! compares the published tally with the stored ballots, with the ballot
//! events on the chain and with the number of used tokens.

use crate::db::{P, Row};
use crate::writer::{Cmd, Expect, Out, SqlStep};
use crate::{Store, StoreError};
use lvzhi_core::Decimal;
use lvzhi_core::access::{Access, Role};
use lvzhi_core::assess::{
    self, Ballot, CampaignDef, Percent, RECEIPT_LEN, Results, TOKEN_LEN, Tally, code_from_random, display_code,
    normalize_code,
};
use lvzhi_core::time::stamp;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A campaign that has not started.
pub const DRAFT: &str = "draft";
/// A campaign accepting ballots (within its open and close times).
pub const OPEN: &str = "open";
/// A closed campaign: no ballot is accepted.
pub const CLOSED: &str = "closed";

/// The most tokens issued by one call.
pub const MAX_TOKENS_PER_CALL: usize = 5000;

/// The entity of assessment events.
pub const ENTITY: &str = "assess_campaign";

/// An evaluator group of a stored campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Weight in percent.
    pub weight: Decimal,
}

/// A subject of a stored campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// Id (the key of the subject in ballots).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Post.
    pub post: String,
    /// The person in the org tree.
    pub person_id: Option<i64>,
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    /// Id.
    pub id: i64,
    /// Year.
    pub year: i64,
    /// Title.
    pub title: String,
    /// [`DRAFT`], [`OPEN`] or [`CLOSED`].
    pub state: String,
    /// Opens at (UTC stamp).
    pub opens_at: String,
    /// Closes at (UTC stamp).
    pub closes_at: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// Whether the tally has been published.
    pub published: bool,
    /// Results are shown only from this many ballots on (0: no minimum).
    pub min_ballots: i64,
    /// Groups in order.
    pub groups: Vec<Group>,
    /// Subjects in order.
    pub subjects: Vec<Subject>,
}

/// Turnout of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turnout {
    /// Group id.
    pub group_id: i64,
    /// Group name.
    pub name: String,
    /// Tokens issued.
    pub issued: i64,
    /// Ballots cast.
    pub voted: i64,
    /// voted ÷ issued, in percent to 0.1; none when no token was issued.
    pub rate: Option<Percent>,
}

/// The results of a closed campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignResults {
    /// The campaign.
    pub campaign: Campaign,
    /// Turnout per group.
    pub turnout: Vec<Turnout>,
    /// Weighted shares per subject and item.
    pub results: Results,
}

/// What an auditor's recount found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recount {
    /// Ballots stored.
    pub ballots: u64,
    /// The tally of the stored ballots.
    pub stored: Tally,
    /// The published tally (after close).
    pub published: Option<Tally>,
    /// The tally of the ballot events on the chain.
    pub from_events: Tally,
    /// Used tokens per group.
    pub used_tokens: BTreeMap<i64, u64>,
    /// Every discrepancy, in Chinese; empty when all agree.
    pub problems: Vec<String>,
}

impl Recount {
    /// Whether everything agrees.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn office(a: &Access) -> Result<(), StoreError> {
    if matches!(a.role, Role::Admin | Role::Office) {
        Ok(())
    } else {
        Err(StoreError::Forbidden("只有管理员或政府办可以管理民主测评".into()))
    }
}

fn reader(a: &Access) -> Result<(), StoreError> {
    if matches!(a.role, Role::Admin | Role::Office | Role::Auditor) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "只有管理员、政府办或审计监督可以查看测评情况".into(),
        ))
    }
}

/// The hex SHA-256 of a normalised token: what is stored.
pub fn token_hash(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

fn anonymous() -> Access {
    Access {
        user_id: 0,
        username: "匿名测评人".into(),
        role: Role::Evaluator,
        unit: None,
        division: None,
        person: None,
        oversees: vec![],
    }
}

fn random_codes(n: usize, len: usize) -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::rng();
    let mut next = || rng.random::<u8>();
    (0..n).map(|_| code_from_random(len, &mut next)).collect()
}

fn step(sql: &str, params: Vec<P>, expect: Expect) -> SqlStep {
    SqlStep {
        sql: sql.into(),
        params,
        expect,
    }
}

fn invalid(errs: Vec<lvzhi_core::field::FieldError>) -> StoreError {
    StoreError::Invalid(errs)
}

const TOKEN_REFUSED: &str = "选票码无效 / unknown ballot code";
const TOKEN_USED: &str = "该选票码已投过票 / this ballot code has already voted";
/// The refusal of a ballot whose receipt is already taken (retried).
const RECEIPT_TAKEN: &str = "回执码已被占用 / receipt taken";
/// How often a cast is retried with a new receipt after a collision.
pub const RECEIPT_TRIES: usize = 5;
const NOT_OPEN: &str = "测评未开始或已结束，不接受投票 / the assessment is not open";

/// Why results are withheld: fewer ballots than the campaign's minimum.
pub fn too_few(cast: i64, min: i64) -> String {
    format!("本次测评收回有效选票{cast}张，少于规定的最少{min}张，测评结果不予公布（以免据此推断个人的评价）")
}

impl Store {
    /// Creates a campaign (draft) with its groups and subjects; returns its id.
    pub async fn create_campaign(&self, actor: &Access, def: &CampaignDef) -> Result<i64, StoreError> {
        office(actor)?;
        def.validate().map_err(invalid)?;
        let now = stamp(self.now());
        let mut steps = vec![step(
            "INSERT INTO assess_campaigns (year, title, state, opens_at, closes_at, created_at, quorum) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                P::I(i64::from(def.year)),
                P::T(def.title.trim().into()),
                P::T(DRAFT.into()),
                P::T(stamp(def.opens_at)),
                P::T(stamp(def.closes_at)),
                P::T(now),
                P::I(i64::from(def.min_ballots)),
            ],
            Expect::Id,
        )];
        for (i, g) in def.groups.iter().enumerate() {
            steps.push(step(
                "INSERT INTO assess_groups (campaign_id, name, weight, sort) VALUES ($ID, $1, $2, $3)",
                vec![
                    P::T(g.name.trim().into()),
                    P::T(g.weight.normalize().to_string()),
                    P::I(i as i64),
                ],
                Expect::Any,
            ));
        }
        for (i, s) in def.subjects.iter().enumerate() {
            steps.push(step(
                "INSERT INTO assess_subjects (campaign_id, person_id, name, post, sort) VALUES ($ID, $1, $2, $3, $4)",
                vec![
                    P::OI(s.person_id),
                    P::T(s.name.trim().into()),
                    P::T(s.post.trim().into()),
                    P::I(i as i64),
                ],
                Expect::Any,
            ));
        }
        let out = self
            .writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps,
                kind: "assess.campaign.create".into(),
                entity: ENTITY.into(),
                entity_id: None,
                data: serde_json::to_value(def).map_err(|e| StoreError::Internal(e.to_string()))?,
                coarse_time: false,
            })
            .await?;
        match out {
            Out::Ids(ids) => ids.first().copied().ok_or_else(|| StoreError::Internal("no id".into())),
            _ => Err(StoreError::Internal("unexpected writer output".into())),
        }
    }

    /// A campaign with its groups and subjects.
    pub async fn campaign(&self, id: i64) -> Result<Campaign, StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut c = c.conn();
        let row = c
            .row(
                "SELECT id, year, title, state, opens_at, closes_at, closed_at, \
                 CASE WHEN published IS NULL THEN 0 ELSE 1 END, quorum FROM assess_campaigns WHERE id = $1",
                &[P::I(id)],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("测评{id}不存在")))?;
        let groups = c
            .rows(
                "SELECT id, name, weight FROM assess_groups WHERE campaign_id = $1 ORDER BY sort, id",
                &[P::I(id)],
            )
            .await?
            .iter()
            .map(|r| Group {
                id: r.i(0),
                name: r.t(1),
                weight: r.t(2).parse().unwrap_or_default(),
            })
            .collect();
        let subjects = c
            .rows(
                "SELECT id, name, post, person_id FROM assess_subjects WHERE campaign_id = $1 ORDER BY sort, id",
                &[P::I(id)],
            )
            .await?
            .iter()
            .map(|r| Subject {
                id: r.i(0),
                name: r.t(1),
                post: r.t(2),
                person_id: r.oi(3),
            })
            .collect();
        Ok(Campaign {
            id: row.i(0),
            year: row.i(1),
            title: row.t(2),
            state: row.t(3),
            opens_at: row.t(4),
            closes_at: row.t(5),
            closed_at: row.ot(6),
            published: row.i(7) == 1,
            min_ballots: row.i(8),
            groups,
            subjects,
        })
    }

    /// Every campaign (without groups and subjects), newest first.
    pub async fn campaigns(&self, actor: &Access) -> Result<Vec<Campaign>, StoreError> {
        reader(actor)?;
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT id, year, title, state, opens_at, closes_at, closed_at, \
                 CASE WHEN published IS NULL THEN 0 ELSE 1 END, quorum FROM assess_campaigns ORDER BY id DESC",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Campaign {
                id: r.i(0),
                year: r.i(1),
                title: r.t(2),
                state: r.t(3),
                opens_at: r.t(4),
                closes_at: r.t(5),
                closed_at: r.ot(6),
                published: r.i(7) == 1,
                min_ballots: r.i(8),
                groups: vec![],
                subjects: vec![],
            })
            .collect())
    }

    /// Issues `n` one-time tokens for a group of a campaign that is not
    /// closed. Returns them in display form (`ABCDE-FGHJK`) — the only time
    /// they exist in plain text; only their hashes are stored.
    pub async fn issue_tokens(
        &self,
        actor: &Access,
        campaign: i64,
        group: i64,
        n: usize,
    ) -> Result<Vec<String>, StoreError> {
        office(actor)?;
        if n == 0 || n > MAX_TOKENS_PER_CALL {
            return Err(StoreError::BadRequest(format!(
                "每次生成的选票码数量应为1至{MAX_TOKENS_PER_CALL}"
            )));
        }
        let c = self.campaign(campaign).await?;
        if !c.groups.iter().any(|g| g.id == group) {
            return Err(StoreError::NotFound(format!("测评组{group}不属于本次测评")));
        }
        let tokens = random_codes(n, TOKEN_LEN);
        let mut steps = vec![step(
            "UPDATE assess_campaigns SET state = state WHERE id = $1 AND state <> $2",
            vec![P::I(campaign), P::T(CLOSED.into())],
            Expect::One("测评已结束，不能再生成选票码".into()),
        )];
        for chunk in tokens.chunks(500) {
            let mut sql = String::from("INSERT INTO assess_tokens (hash, campaign_id, group_id, used) VALUES ");
            let mut params = Vec::with_capacity(chunk.len());
            for (i, t) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, {campaign}, {group}, FALSE)", i + 1));
                params.push(P::T(token_hash(t)));
            }
            steps.push(step(&sql, params, Expect::Any));
        }
        self.writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps,
                kind: "assess.tokens.issue".into(),
                entity: ENTITY.into(),
                entity_id: Some(campaign.to_string()),
                data: json!({"campaign": campaign, "group": group, "count": n}),
                coarse_time: false,
            })
            .await?;
        Ok(tokens.iter().map(|t| display_code(t)).collect())
    }

    /// Opens a draft campaign: ballots are accepted between its open and close times.
    /// Its subjects with an account (the county leaders assessed) find a
    /// notice (站内信, kind `ballot`) in the same transaction.
    pub async fn open_campaign(&self, actor: &Access, campaign: i64) -> Result<(), StoreError> {
        office(actor)?;
        let c = self.campaign(campaign).await?;
        let closes = c
            .closes_at
            .parse::<jiff::Timestamp>()
            .map(|t| {
                format!(
                    "，投票截止{}",
                    lvzhi_core::time::date_cn(lvzhi_core::time::local_date(t))
                )
            })
            .unwrap_or_default();
        self.writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps: vec![
                    step(
                        "UPDATE assess_campaigns SET state = $1 WHERE id = $2 AND state = $3",
                        vec![P::T(OPEN.into()), P::I(campaign), P::T(DRAFT.into())],
                        Expect::One("只有尚未开始的测评可以开启".into()),
                    ),
                    step(
                        "INSERT INTO notices (user_id, kind, record_id, title, body, actor_name, created_at) \
                         SELECT u.id, 'ballot', NULL, $1, $2, $3, $4 FROM users u WHERE u.disabled = $5 \
                         AND u.person_id IN (SELECT s.person_id FROM assess_subjects s \
                         WHERE s.campaign_id = $6 AND s.person_id IS NOT NULL)",
                        vec![
                            P::T(format!("测评开始：{}", c.title)),
                            P::T(format!(
                                "{}开启了“{}”，您是本次测评对象，评议人凭选票码投票{closes}。",
                                actor.username, c.title
                            )),
                            P::T(actor.username.clone()),
                            P::T(stamp(self.now())),
                            P::B(false),
                            P::I(campaign),
                        ],
                        Expect::Any,
                    ),
                ],
                kind: "assess.campaign.open".into(),
                entity: ENTITY.into(),
                entity_id: Some(campaign.to_string()),
                data: json!({"campaign": campaign}),
                coarse_time: false,
            })
            .await?;
        Ok(())
    }

    /// Closes a campaign (no ballot is accepted after) and publishes its tally.
    pub async fn close_campaign(&self, actor: &Access, campaign: i64) -> Result<Tally, StoreError> {
        office(actor)?;
        self.campaign(campaign).await?;
        self.writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps: vec![step(
                    "UPDATE assess_campaigns SET state = $1, closed_at = $2 WHERE id = $3 AND state <> $1",
                    vec![P::T(CLOSED.into()), P::T(stamp(self.now())), P::I(campaign)],
                    Expect::One("测评已经结束".into()),
                )],
                kind: "assess.campaign.close".into(),
                entity: ENTITY.into(),
                entity_id: Some(campaign.to_string()),
                data: json!({"campaign": campaign}),
                coarse_time: false,
            })
            .await?;
        self.publish_campaign(actor, campaign).await
    }

    /// Publishes the tally of a closed campaign (done by [`Store::close_campaign`];
    /// callable again if that was interrupted). The tally is stored with the
    /// campaign and written into the event.
    pub async fn publish_campaign(&self, actor: &Access, campaign: i64) -> Result<Tally, StoreError> {
        office(actor)?;
        let c = self.campaign(campaign).await?;
        if c.state != CLOSED {
            return Err(StoreError::Conflict("测评尚未结束，不能公布结果".into()));
        }
        let (tally, bad) = self.stored_tally(&c).await?;
        if !bad.is_empty() {
            return Err(StoreError::Internal(bad.join("；")));
        }
        let text = serde_json::to_string(&tally).map_err(|e| StoreError::Internal(e.to_string()))?;
        self.writer
            .send(Cmd::Steps {
                actor: actor.clone(),
                steps: vec![step(
                    "UPDATE assess_campaigns SET published = $1 WHERE id = $2 AND state = $3 AND published IS NULL",
                    vec![P::T(text), P::I(campaign), P::T(CLOSED.into())],
                    Expect::One("测评结果已经公布".into()),
                )],
                kind: "assess.campaign.publish".into(),
                entity: ENTITY.into(),
                entity_id: Some(campaign.to_string()),
                data: json!({"campaign": campaign, "tally": tally}),
                coarse_time: false,
            })
            .await?;
        Ok(tally)
    }

    /// The campaign a token opens, for the ballot page (refused like a cast
    /// would be: unknown, other campaign, used, not open).
    pub async fn ballot_campaign(&self, campaign: i64, token: &str) -> Result<Campaign, StoreError> {
        let (c, _, _) = self.check_token(campaign, token).await?;
        Ok(c)
    }

    async fn check_token(&self, campaign: i64, token: &str) -> Result<(Campaign, i64, String), StoreError> {
        let norm = normalize_code(token, TOKEN_LEN).ok_or_else(|| StoreError::NotFound(TOKEN_REFUSED.into()))?;
        let hash = token_hash(&norm);
        let row = {
            let mut c = self.pool.acquire().await?;
            c.conn()
                .row(
                    "SELECT group_id, used FROM assess_tokens WHERE hash = $1 AND campaign_id = $2",
                    &[P::T(hash.clone()), P::I(campaign)],
                )
                .await?
        };
        let row = row.ok_or_else(|| StoreError::NotFound(TOKEN_REFUSED.into()))?;
        if row.b(1) {
            return Err(StoreError::Conflict(TOKEN_USED.into()));
        }
        let c = self.campaign(campaign).await?;
        let now = stamp(self.now());
        if c.state != OPEN || now < c.opens_at || now >= c.closes_at {
            return Err(StoreError::Conflict(NOT_OPEN.into()));
        }
        Ok((c, row.i(0), hash))
    }

    /// Casts a ballot with a one-time token; returns the receipt code
    /// (`ABCD-EFGH`) the evaluator can check with [`Store::receipt_counted`].
    /// The ballot must grade every subject on every item. Nothing is written
    /// when the token is unknown, of another campaign or used, when the
    /// campaign is not open, or when the ballot is incomplete.
    pub async fn cast_ballot(&self, campaign: i64, token: &str, grades: &Value) -> Result<String, StoreError> {
        self.cast_ballot_with(campaign, token, grades, &mut || random_codes(1, RECEIPT_LEN).concat())
            .await
    }

    /// [`Store::cast_ballot`] with the receipts drawn from `receipts` (tests
    /// use it to force a collision). A receipt already taken in the campaign
    /// is not an error: the cast is retried with the next receipt, up to
    /// [`RECEIPT_TRIES`] times; nothing is written by a refused try.
    #[doc(hidden)]
    pub async fn cast_ballot_with(
        &self,
        campaign: i64,
        token: &str,
        grades: &Value,
        receipts: &mut (dyn FnMut() -> String + Send),
    ) -> Result<String, StoreError> {
        let (c, group, hash) = self.check_token(campaign, token).await?;
        let ids: Vec<i64> = c.subjects.iter().map(|s| s.id).collect();
        let ballot = Ballot::parse(grades, &ids).map_err(invalid)?;
        let canonical = ballot.to_json();
        for _ in 0..RECEIPT_TRIES {
            let receipt = receipts();
            let now = stamp(self.now());
            let steps = vec![
                step(
                    "UPDATE assess_tokens SET used = TRUE WHERE hash = $1 AND campaign_id = $2 AND used = FALSE \
                     AND EXISTS (SELECT 1 FROM assess_campaigns WHERE id = $2 AND state = $3 \
                     AND opens_at <= $4 AND closes_at > $4)",
                    vec![P::T(hash.clone()), P::I(campaign), P::T(OPEN.into()), P::T(now)],
                    Expect::One("该选票码已投过票或测评已结束 / already voted or closed".into()),
                ),
                step(
                    "INSERT INTO assess_ballots (campaign_id, group_id, receipt, grades) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (campaign_id, receipt) DO NOTHING",
                    vec![
                        P::I(campaign),
                        P::I(group),
                        P::T(receipt.clone()),
                        P::T(canonical.to_string()),
                    ],
                    Expect::One(RECEIPT_TAKEN.into()),
                ),
            ];
            let sent = self
                .writer
                .send(Cmd::Steps {
                    actor: anonymous(),
                    steps,
                    kind: "assess.ballot".into(),
                    entity: ENTITY.into(),
                    entity_id: Some(campaign.to_string()),
                    data: json!({"campaign": campaign, "group": group, "receipt": receipt, "grades": canonical}),
                    coarse_time: true,
                })
                .await;
            match sent {
                Ok(_) => return Ok(display_code(&receipt)),
                Err(StoreError::Conflict(m)) if m == RECEIPT_TAKEN => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Internal("回执码连续重复，请重试".into()))
    }

    /// The campaign a token belongs to, for the ballot page where the
    /// evaluator types only the code. Unknown codes are refused like a cast.
    pub async fn token_campaign(&self, token: &str) -> Result<i64, StoreError> {
        let norm = normalize_code(token, TOKEN_LEN).ok_or_else(|| StoreError::NotFound(TOKEN_REFUSED.into()))?;
        let mut c = self.pool.acquire().await?;
        c.conn()
            .row(
                "SELECT campaign_id FROM assess_tokens WHERE hash = $1",
                &[P::T(token_hash(&norm))],
            )
            .await?
            .map(|r| r.i(0))
            .ok_or_else(|| StoreError::NotFound(TOKEN_REFUSED.into()))
    }

    /// The campaigns holding a ballot with this receipt (the receipt check
    /// page, where the evaluator types only the receipt).
    pub async fn find_receipt(&self, receipt: &str) -> Result<Vec<(i64, String)>, StoreError> {
        let Some(r) = normalize_code(receipt, RECEIPT_LEN) else {
            return Ok(vec![]);
        };
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .rows(
                "SELECT c.id, c.title FROM assess_ballots b JOIN assess_campaigns c ON c.id = b.campaign_id \
                 WHERE b.receipt = $1 ORDER BY c.id",
                &[P::T(r)],
            )
            .await?
            .iter()
            .map(|r| (r.i(0), r.t(1)))
            .collect())
    }

    /// Whether a ballot with this receipt is stored (the evaluator's check).
    pub async fn receipt_counted(&self, campaign: i64, receipt: &str) -> Result<bool, StoreError> {
        let Some(r) = normalize_code(receipt, RECEIPT_LEN) else {
            return Ok(false);
        };
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row(
                "SELECT 1 FROM assess_ballots WHERE campaign_id = $1 AND receipt = $2",
                &[P::I(campaign), P::T(r)],
            )
            .await?
            .is_some())
    }

    /// Every receipt of a closed campaign, sorted (for publication).
    pub async fn receipts(&self, campaign: i64) -> Result<Vec<String>, StoreError> {
        let c = self.campaign(campaign).await?;
        if c.state != CLOSED {
            return Err(StoreError::Conflict("测评尚未结束".into()));
        }
        let mut p = self.pool.acquire().await?;
        let rows = p
            .conn()
            .rows(
                "SELECT receipt FROM assess_ballots WHERE campaign_id = $1 ORDER BY receipt",
                &[P::I(campaign)],
            )
            .await?;
        Ok(rows.iter().map(|r| display_code(&r.t(0))).collect())
    }

    /// Tokens issued and ballots cast per group (live, while open).
    pub async fn turnout(&self, actor: &Access, campaign: i64) -> Result<Vec<Turnout>, StoreError> {
        reader(actor)?;
        let c = self.campaign(campaign).await?;
        let mut p = self.pool.acquire().await?;
        let mut conn = p.conn();
        let issued = counts(
            conn.rows(
                "SELECT group_id, COUNT(*) FROM assess_tokens WHERE campaign_id = $1 GROUP BY group_id",
                &[P::I(campaign)],
            )
            .await?,
        );
        let voted = counts(
            conn.rows(
                "SELECT group_id, COUNT(*) FROM assess_ballots WHERE campaign_id = $1 GROUP BY group_id",
                &[P::I(campaign)],
            )
            .await?,
        );
        Ok(c.groups
            .iter()
            .map(|g| {
                let issued = issued.get(&g.id).copied().unwrap_or(0);
                let voted = voted.get(&g.id).copied().unwrap_or(0);
                Turnout {
                    group_id: g.id,
                    name: g.name.clone(),
                    issued,
                    voted,
                    rate: (issued > 0)
                        .then(|| assess::round_tenths_percent(i128::from(voted), i128::from(issued)).ok())
                        .flatten(),
                }
            })
            .collect())
    }

    /// The tally of the stored ballots, and the ballots that do not parse.
    async fn stored_tally(&self, c: &Campaign) -> Result<(Tally, Vec<String>), StoreError> {
        let ids: Vec<i64> = c.subjects.iter().map(|s| s.id).collect();
        let mut p = self.pool.acquire().await?;
        let rows = p
            .conn()
            .rows(
                "SELECT group_id, receipt, grades FROM assess_ballots WHERE campaign_id = $1",
                &[P::I(c.id)],
            )
            .await?;
        let mut t = Tally::default();
        let mut bad = Vec::new();
        for r in rows {
            let parsed = serde_json::from_str::<Value>(&r.t(2))
                .ok()
                .and_then(|v| Ballot::parse(&v, &ids).ok());
            match parsed {
                Some(b) => t.add(r.i(0), &b),
                None => bad.push(format!("回执{}的选票内容无效", r.t(1))),
            }
        }
        Ok((t, bad))
    }

    /// The weighted results of a closed campaign, computed from the stored ballots.
    pub async fn campaign_results(&self, actor: &Access, campaign: i64) -> Result<CampaignResults, StoreError> {
        reader(actor)?;
        let c = self.campaign(campaign).await?;
        if c.state != CLOSED {
            return Err(StoreError::Conflict("测评尚未结束，结果不公开".into()));
        }
        let (tally, bad) = self.stored_tally(&c).await?;
        if !bad.is_empty() {
            return Err(StoreError::Internal(bad.join("；")));
        }
        let cast = i64::try_from(tally.total()).unwrap_or(i64::MAX);
        if cast < c.min_ballots {
            return Err(StoreError::Conflict(too_few(cast, c.min_ballots)));
        }
        let groups: Vec<(i64, Decimal)> = c.groups.iter().map(|g| (g.id, g.weight)).collect();
        let ids: Vec<i64> = c.subjects.iter().map(|s| s.id).collect();
        let results = assess::compute(&groups, &ids, &tally).map_err(|e| StoreError::Conflict(e.to_string()))?;
        let turnout = self.turnout(actor, campaign).await?;
        Ok(CampaignResults {
            campaign: c,
            turnout,
            results,
        })
    }

    /// The auditor's recount: the stored ballots against the published tally,
    /// the ballot events on the chain and the used tokens.
    pub async fn recount(&self, actor: &Access, campaign: i64) -> Result<Recount, StoreError> {
        reader(actor)?;
        let c = self.campaign(campaign).await?;
        let ids: Vec<i64> = c.subjects.iter().map(|s| s.id).collect();
        let (stored, mut problems) = self.stored_tally(&c).await?;
        let mut p = self.pool.acquire().await?;
        let mut conn = p.conn();
        let published = match conn
            .row(
                "SELECT published FROM assess_campaigns WHERE id = $1",
                &[P::I(campaign)],
            )
            .await?
            .and_then(|r| r.ot(0))
        {
            Some(text) => match serde_json::from_str::<Tally>(&text) {
                Ok(t) => Some(t),
                Err(_) => {
                    problems.push("公布的计票结果无法读取".into());
                    None
                }
            },
            None => None,
        };
        let events = conn
            .rows(
                "SELECT kind, data FROM events WHERE entity = $1 AND entity_id = $2 \
                 AND kind IN ('assess.ballot', 'assess.campaign.publish') ORDER BY seq",
                &[P::T(ENTITY.into()), P::T(campaign.to_string())],
            )
            .await?;
        let mut from_events = Tally::default();
        let mut event_receipts = BTreeSet::new();
        let mut published_event: Option<Tally> = None;
        for r in &events {
            let data: Value = serde_json::from_str(&r.t(1)).unwrap_or(Value::Null);
            if r.t(0) == "assess.campaign.publish" {
                published_event = serde_json::from_value(data["tally"].clone()).ok();
                continue;
            }
            let group = data["group"].as_i64();
            let ballot = Ballot::parse(&data["grades"], &ids).ok();
            match (group, ballot) {
                (Some(g), Some(b)) => from_events.add(g, &b),
                _ => problems.push(format!("投票事件内容无效：{}", r.t(1))),
            }
            if let Some(rc) = data["receipt"].as_str() {
                event_receipts.insert(rc.to_string());
            }
        }
        let stored_receipts: BTreeSet<String> = conn
            .rows(
                "SELECT receipt FROM assess_ballots WHERE campaign_id = $1",
                &[P::I(campaign)],
            )
            .await?
            .iter()
            .map(|r| r.t(0))
            .collect();
        let used_tokens: BTreeMap<i64, u64> = counts(
            conn.rows(
                "SELECT group_id, COUNT(*) FROM assess_tokens WHERE campaign_id = $1 AND used = TRUE GROUP BY group_id",
                &[P::I(campaign)],
            )
            .await?,
        )
        .into_iter()
        .map(|(g, n)| (g, u64::try_from(n).unwrap_or(0)))
        .collect();
        if from_events != stored {
            problems.push("库中选票与哈希链上的投票事件不一致".into());
        }
        if event_receipts != stored_receipts {
            problems.push("库中选票的回执与投票事件的回执不一致".into());
        }
        if used_tokens != stored.ballots {
            problems.push("已使用的选票码数与选票数不一致".into());
        }
        if c.state == CLOSED {
            match &published {
                Some(pt) if *pt != stored => problems.push("公布的计票结果与库中选票不一致".into()),
                Some(_) => {}
                None => problems.push("测评已结束但尚未公布计票结果".into()),
            }
            if published.is_some() && published_event != published {
                problems.push("公布的计票结果与哈希链上的公布事件不一致".into());
            }
        }
        Ok(Recount {
            ballots: stored.total(),
            stored,
            published,
            from_events,
            used_tokens,
            problems,
        })
    }
}

fn counts(rows: Vec<Row>) -> BTreeMap<i64, i64> {
    rows.iter().map(|r| (r.i(0), r.i(1))).collect()
}
