"""EXPLAIN (ANALYZE, BUFFERS) of the API's hot queries on PostgreSQL; do they use indexes?

The statements are the ones a suggestion request and its neighbours send (api/deps.py,
api/matching.py, matcher/store/catalog.py, matcher/store/seats.py, api/routes/suggestions.py,
api/audit.py, api/routes/placements.py, api/routes/capacity.py), with real ids taken from
the database. Writes run inside a transaction that is rolled back, so the database is left
as it was. Option history is empty after an import: the history query is explained after
one change per historic placement is written (in the same rolled-back transaction) and the
table analysed, the size a year of seat changes would reach.

    .venv/bin/python bench/explain_queries.py --url URL [--text]

URL is a PostgreSQL URL; ``?options=-csearch_path%3Dbench_national`` selects the schema that
``bench/run_all.py`` leaves behind. Prints JSON: per query, the plan's nodes, the indexes it
used, the execution time and the shared buffers hit and read; ``--text`` prints the plans.
"""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import create_engine, text

QUERIES = [
    # name, SQL, writes (rolled back)
    ("generations (matcher cache check, every request)",
     "SELECT name, value FROM generations", False),
    ("sign-in check: user by id (every request)",
     "SELECT user_id, username, role, provider_id, active FROM users WHERE user_id = :user_id",
     False),
    ("client by id (visible_client, load_profile)",
     "SELECT * FROM clients WHERE client_id = :client_id", False),
    ("option by id",
     "SELECT * FROM options WHERE option_id = :option_id", False),
    ("seat reservation (one conditional UPDATE)",
     "UPDATE options SET capacity = capacity - 1, version = version + 1 "
     "WHERE option_id = :option_id AND capacity >= 1 RETURNING capacity", True),
    ("placements of a client",
     "SELECT * FROM placements WHERE client_id = :client_id "
     "ORDER BY start_date DESC, placement_id DESC", False),
    ("caseload of a social worker",
     "SELECT client_id FROM clients WHERE caseworker_id = :user_id ORDER BY client_id "
     "LIMIT 50", False),
    ("suggestion list insert",
     "INSERT INTO suggestions (client_id, user_id, model_version, created_at, entries) "
     "VALUES (:client_id, :user_id, 'bench', now(), CAST('[]' AS JSON)) "
     "RETURNING suggestion_id", True),
    ("audit entry insert",
     "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, source, detail) "
     "VALUES (now(), :user_id, 'bench', 'suggest', 'client', :client_id, '127.0.0.1', "
     "CAST('{}' AS JSON))", True),
    ("option history count",
     "SELECT count(*) FROM option_changes WHERE option_id = :option_id", False),
    ("option history page",
     "SELECT c.*, u.username FROM option_changes c LEFT JOIN users u ON u.user_id = c.user_id "
     "WHERE c.option_id = :option_id ORDER BY c.at DESC, c.change_id DESC LIMIT 50", False),
]
INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
SMALL_TABLE_ROWS = 1_000  # a sequential scan of a table this small is cheaper than an index


def _walk(node: dict, out: list[dict]) -> None:
    out.append(node)
    for child in node.get("Plans", []):
        _walk(child, out)


def _ids(conn) -> dict:
    option = conn.execute(text(
        "SELECT option_id FROM placements GROUP BY option_id ORDER BY count(*) DESC LIMIT 1"
    )).scalar()
    client = conn.execute(text(
        "SELECT client_id FROM placements GROUP BY client_id ORDER BY count(*) DESC LIMIT 1"
    )).scalar()
    user = conn.execute(text(
        "SELECT user_id FROM users WHERE username = 'ctv.halong'")).scalar()
    if user is None:
        user = conn.execute(text("SELECT min(user_id) FROM users")).scalar()
    return {"option_id": option, "client_id": client, "user_id": user}


def _table_rows(conn) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in conn.execute(text(
        "SELECT relname, n_live_tup FROM pg_stat_user_tables "
        "WHERE schemaname = current_schema()"))}


def explain_all(url: str, *, analyze: bool = True, verbose: bool = False) -> dict:
    url = url.replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("EXPLAIN (ANALYZE, BUFFERS) here is for PostgreSQL")
    results = []
    with engine.connect() as conn:
        ids = _ids(conn)
        sizes = _table_rows(conn)
        conn.rollback()
        # One rolled-back transaction for everything: writes and the history rows vanish.
        with conn.begin() as tx:
            conn.execute(text(
                "INSERT INTO option_changes (option_id, at, field, old_value, new_value, cause) "
                "SELECT option_id, CAST(start_date AS timestamptz), 'capacity', '1', '0', "
                "'placement' FROM placements"))
            conn.execute(text("ANALYZE option_changes"))
            history_rows = conn.execute(text("SELECT count(*) FROM option_changes")).scalar()
            for name, sql, writes in QUERIES:
                opts = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
                plan = conn.execute(text(f"EXPLAIN ({opts}) {sql}"), ids).scalar()
                top = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                nodes: list[dict] = []
                _walk(top["Plan"], nodes)
                used = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
                seq = sorted({n.get("Relation Name", "?") for n in nodes
                              if n["Node Type"] == "Seq Scan"})
                small = all(sizes.get(t, 0) < SMALL_TABLE_ROWS for t in seq)
                entry = {
                    "query": name, "sql": sql, "writes_rolled_back": writes,
                    "nodes": [n["Node Type"] + (f" on {n['Relation Name']}"
                                                if "Relation Name" in n else "")
                              for n in nodes],
                    "indexes": used, "seq_scans": seq,
                    "uses_index": bool({n["Node Type"] for n in nodes} & INDEX_NODES),
                    "ok": not seq or small,
                    "execution_ms": top.get("Execution Time"),
                    "planning_ms": top.get("Planning Time"),
                    "shared_hit": top["Plan"].get("Shared Hit Blocks"),
                    "shared_read": top["Plan"].get("Shared Read Blocks"),
                }
                if verbose:
                    textplan = conn.execute(text(
                        f"EXPLAIN ({'ANALYZE, BUFFERS' if analyze else 'COSTS'}) {sql}"),
                        ids).scalars().all()
                    entry["plan_text"] = textplan
                results.append(entry)
            tx.rollback()
    engine.dispose()
    return {"ids": ids, "table_rows": sizes, "option_changes_rows_for_history": history_rows,
            "queries": results, "all_ok": all(r["ok"] for r in results)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--text", action="store_true", help="print the text plans too")
    ap.add_argument("--no-analyze", action="store_true", help="plans only, nothing executed")
    a = ap.parse_args(argv)
    out = explain_all(a.url, analyze=not a.no_analyze, verbose=a.text)
    if a.text:
        for q in out["queries"]:
            print(f"-- {q['query']}  (indexes: {', '.join(q['indexes']) or 'none'})",
                  file=sys.stderr)
            print("\n".join(q.pop("plan_text")), file=sys.stderr)
            print(file=sys.stderr)
    print(json.dumps(out, indent=1, default=str))
    return 0 if out["all_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
