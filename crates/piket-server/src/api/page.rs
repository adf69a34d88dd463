//! Keyset pagination shared by every list endpoint: `?cursor=…&limit=…` in, `{items, next_cursor}` out.

use serde::Serialize;

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

pub struct PageRequest {
    pub cursor: Option<i64>,
    pub limit: i64,
}

impl PageRequest {
    pub fn parse(cursor: Option<&str>, limit: Option<i64>) -> AppResult<PageRequest> {
        let cursor =
            match cursor.filter(|c| !c.is_empty()) {
                None => None,
                Some(c) => Some(c.parse::<i64>().map_err(|_| {
                    AppError::invalid("cursor", "is not a cursor this server issued")
                })?),
            };
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok(PageRequest { cursor, limit })
    }

    /// Given up to `limit + 1` rows, keep `limit` and say whether there is more.
    pub fn finish<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> i64) -> Page<T> {
        let more = items.len() as i64 > self.limit;
        items.truncate(self.limit as usize);
        let next_cursor = if more {
            items.last().map(|i| key(i).to_string())
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

/// `?cursor=…&limit=…` for lists without other filters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}
