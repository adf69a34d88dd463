//! The scope rule as SQL, written once for every domain that has one (tickets, assets, users):
//! `all` sees every row; `department` sees the rows of its departments and the rows tied to it
//! personally; `own` sees only rows tied to it. A domain says which columns mean "in these
//! departments" and "tied to me" in a [`ScopeRule`]; [`push_scope`] appends the condition.

use super::sql::{Arg, Sql};
use crate::auth::permissions::Scope;

/// A condition on the viewer's user id: `before <me> after`.
pub struct Tie {
    pub before: &'static str,
    pub after: &'static str,
}

impl Tie {
    /// `column = <me>`.
    pub const fn column(before: &'static str) -> Tie {
        Tie { before, after: "" }
    }
}

/// What a domain's rows need for the scope rule.
pub struct ScopeRule {
    /// The text around the department id list: `t.department_id IN ` and ``, or an `EXISTS`
    /// over a link table and its closing parenthesis.
    pub in_departments: (&'static str, &'static str),
    /// Rows tied to a department-scoped viewer besides its departments' rows.
    pub department_ties: &'static [Tie],
    /// The rows an own-scoped viewer sees.
    pub own_ties: &'static [Tie],
}

/// Append ` AND (…)` restricting rows to those `scope` reaches for viewer `me` in `departments`.
pub fn push_scope(sql: &mut Sql, rule: &ScopeRule, scope: Scope, departments: &[i64], me: i64) {
    match scope {
        Scope::All => {}
        Scope::Department => {
            sql.push(" AND (")
                .push(rule.in_departments.0)
                .bind_list(departments)
                .push(rule.in_departments.1);
            for tie in rule.department_ties {
                sql.push(" OR ");
                push_tie(sql, tie, me);
            }
            sql.push(")");
        }
        Scope::Own => {
            sql.push(" AND ");
            push_ties(sql, rule.own_ties, me);
        }
    }
}

/// `(tie OR tie …)` for viewer `me`; `(1 = 0)` when there are none.
pub fn push_ties(sql: &mut Sql, ties: &[Tie], me: i64) {
    if ties.is_empty() {
        sql.push("(1 = 0)");
        return;
    }
    sql.push("(");
    for (i, tie) in ties.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        push_tie(sql, tie, me);
    }
    sql.push(")");
}

fn push_tie(sql: &mut Sql, tie: &Tie, me: i64) {
    sql.push(tie.before).bind(Arg::Int(me)).push(tie.after);
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: ScopeRule = ScopeRule {
        in_departments: ("x.department_id IN ", ""),
        department_ties: &[Tie::column("x.owner_id = ")],
        own_ties: &[
            Tie::column("x.owner_id = "),
            Tie {
                before: "x.id IN (SELECT x_id FROM x_watchers WHERE user_id = ",
                after: ")",
            },
        ],
    };

    fn text(scope: Scope, departments: &[i64]) -> String {
        let mut sql = Sql::new("SELECT 1 FROM x WHERE 1 = 1");
        push_scope(&mut sql, &RULE, scope, departments, 7);
        sql.text().to_string()
    }

    #[test]
    fn each_scope_gets_its_condition() {
        assert_eq!(text(Scope::All, &[1]), "SELECT 1 FROM x WHERE 1 = 1");
        assert_eq!(
            text(Scope::Department, &[1, 2]),
            "SELECT 1 FROM x WHERE 1 = 1 AND (x.department_id IN ($1, $2) OR x.owner_id = $3)"
        );
        assert_eq!(
            text(Scope::Department, &[]),
            "SELECT 1 FROM x WHERE 1 = 1 AND (x.department_id IN (NULL) OR x.owner_id = $1)"
        );
        assert_eq!(
            text(Scope::Own, &[1]),
            "SELECT 1 FROM x WHERE 1 = 1 AND (x.owner_id = $1 OR \
             x.id IN (SELECT x_id FROM x_watchers WHERE user_id = $2))"
        );
    }
}
