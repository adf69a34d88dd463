//! A tiny builder for queries whose shape depends on filters: placeholders are numbered `$1, $2…`
//! (the form both backends accept through `Any`), and only bound values carry user input.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, AssertSqlSafe, FromRow};

#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
}

#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &'static str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Append trusted SQL text (never user input).
    pub fn push(&mut self, text: &'static str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Append a placeholder bound to `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Append `(…, …)` of placeholders for an `IN` list; an empty list becomes `(NULL)`.
    pub fn bind_list(&mut self, values: &[i64]) -> &mut Self {
        if values.is_empty() {
            self.text.push_str("(NULL)");
            return self;
        }
        self.text.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(Arg::Int(*v));
        }
        self.text.push(')');
        self
    }

    /// The statement as built.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Enclose the query so far in trusted text: `before` goes in front (it may hold no
    /// placeholders, so the numbering stays right), `after` at the end (binds may follow it).
    pub fn wrap(&mut self, before: &'static str, after: &'static str) -> &mut Self {
        self.text.insert_str(0, before);
        self.text.push_str(after);
        self
    }

    pub fn query_as<T>(&self) -> QueryAs<'static, Any, T, AnyArguments>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_as::<Any, T>(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }

    pub fn query_scalar<T>(&self) -> sqlx::query::QueryScalar<'static, Any, T, AnyArguments>
    where
        (T,): for<'r> FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_scalar::<Any, T>(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }

    pub fn query(&self) -> Query<'static, Any, AnyArguments> {
        let mut q = sqlx::query::<Any>(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(Arg::Int(1))
            .push(" AND b IN ")
            .bind_list(&[2, 3])
            .push(" AND c IN ")
            .bind_list(&[]);
        assert_eq!(
            sql.text,
            "SELECT 1 WHERE a = $1 AND b IN ($2, $3) AND c IN (NULL)"
        );
        assert_eq!(sql.args.len(), 3);
    }

    #[test]
    fn wrapping_keeps_the_numbering() {
        let mut sql = Sql::new("SELECT id FROM t WHERE a = ");
        sql.bind(Arg::Int(1))
            .wrap("SELECT count(*) FROM (", ") x WHERE x.id > ")
            .bind(Arg::Int(2));
        assert_eq!(
            sql.text,
            "SELECT count(*) FROM (SELECT id FROM t WHERE a = $1) x WHERE x.id > $2"
        );
    }
}
