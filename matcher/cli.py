"""The `matcher` command: the same functions the API calls, for the terminal and scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from matcher.demo import DemoDatabase
from matcher.ingest import KINDS, ImportFailed, Problem, import_file
from matcher.ingest.seed import seed as seed_demo
from matcher.settings import DEMO_DIR, get_settings
from matcher.store.db import current_revision, head_revision, is_empty, make_engine, upgrade

app = typer.Typer(help="Placement matcher for Quảng Ninh's social workers.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="User accounts of the API and the web pages.", no_args_is_help=True)
app.add_typer(users_app, name="users")
from matcher.outcomes.cli import model_app  # noqa: E402 - beside the others

app.add_typer(model_app, name="model")
from matcher.ingest.cli import providers_app  # noqa: E402 - beside the others

app.add_typer(providers_app, name="providers")


def _fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise typer.Exit(1)


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    file: Annotated[Path, typer.Argument(help="UTF-8 CSV or .xlsx file of the data contract.")],
    encoding: Annotated[str | None, typer.Option(
        help="Read a CSV in this encoding instead of UTF-8: utf-8, cp1258 (Windows-1258) or "
             "utf-16 (with its byte-order mark).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Load one file; all or nothing, exit 1 with the row-level errors."""
    engine = make_engine()
    try:
        result = import_file(engine, kind, file, encoding=encoding)
    except DemoDatabase as exc:
        print(f"{file}: not imported: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except ImportFailed as exc:
        if as_json:
            print(json.dumps({"ok": False, "problems": [
                {"row": p.row, "column": p.column, "message": p.message} for p in exc.problems
            ], "truncated": exc.truncated}, ensure_ascii=False))
            raise typer.Exit(1) from None
        _fail(f"{file}: not imported, nothing was changed.\n{exc.render()}")
    if as_json:
        print(json.dumps({"ok": True, "kind": result.kind, "rows": result.rows,
                          "created": result.created, "updated": result.updated,
                          "merged": [list(m) for m in result.merged],
                          "proposed": [list(p) for p in result.proposed]}, ensure_ascii=False))
    else:
        print(result.summary())


@app.command()
def seed(
    directory: Annotated[
        Path, typer.Option(help="Folder with the five contract files.")
    ] = DEMO_DIR,
    if_empty: Annotated[bool, typer.Option("--if-empty",
                                           help="Do nothing (exit 0) when data is there.")] = False,
) -> None:
    """Load the five contract files of a folder (default: the demo world) into an empty
    database; the demo world's folder marks it as the demo database (no accounts: `demo`)."""
    engine = make_engine()
    if if_empty and not is_empty(engine):
        print("the database already holds data; not seeded")
        return
    demo_world = directory.resolve() == DEMO_DIR.resolve()
    try:
        results = seed_demo(engine, directory, mark_demo=demo_world)
    except ImportFailed as exc:
        _fail(f"not seeded, nothing was changed.\n{exc.render()}")
    for result in results:
        print(result.summary())
    if demo_world:
        print("marked as the demo database: imports are refused; `matcher demo` adds the "
              "demo accounts")


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(
        "--if-empty", help="On a database that holds other data, say so and exit 0 "
                           "(for `make run`) instead of failing.")] = False,
) -> None:
    """Make an empty database the demo database: the synthetic demo world, its demo accounts
    (README) and the mark that shows a banner on every page and refuses real imports.
    On the demo database it only adds missing demo accounts; any other database is refused."""
    from matcher.demo import make_demo

    engine = make_engine()
    try:
        result = make_demo(engine)
    except DemoDatabase as exc:
        if if_empty:
            print(f"not the demo database, left as it is: {exc}")
            return
        print(f"matcher demo: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except ImportFailed as exc:
        _fail(f"the demo world was not loaded, nothing was changed.\n{exc.render()}")
    for loaded in result.loaded:
        print(loaded.summary())
    print("the demo database (synthetic data only); demo accounts created: "
          f"{', '.join(result.accounts) or 'none (they exist)'}")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Username.")],
    role: Annotated[str, typer.Option(help="social_worker, programme_staff, provider or admin.")],
    provider: Annotated[str | None, typer.Option(help="The provider a provider user "
                                                       "works for.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (scripts).")] = False,
) -> None:
    """Create an ACTIVE account with a password, at the server's own terminal.

    This is the bootstrap: the first admin and the first programme staff are made here, by
    the operator who runs the server. Every later account is made by the admin in the
    product (POST /v1/users), without a password: the person sets their own with a one-time
    code, and an account that can read client records waits for a programme staff
    member's approval. The password is asked for (never an argument: shell history).
    """
    from matcher.access.accounts import AccountError, add_user
    from matcher.store.db import ensure_schema, transaction

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine()
    ensure_schema(engine)
    try:
        with transaction(engine) as session:
            user = add_user(session, name, password, role, provider)
            user_id = user.user_id
    except AccountError as exc:
        _fail(f"not created: {exc}")
    print(f"user {name} ({role}) created with id {user_id}")


def _matcher(session, **kwargs):
    from matcher.matching.engine import Matcher
    from matcher.outcomes import ModelError

    try:
        return Matcher.build(session, **kwargs)
    except ModelError as exc:
        _fail(f"the model cannot be used: {exc}")


def _prices(session, matcher):
    """The stored seat prices, recomputed first when they are out of date (as the API
    would in the background)."""
    from matcher.pricing import is_current, load_prices, refresh_prices

    if get_settings().seat_pricing and not is_current(session, matcher):
        return refresh_prices(session, matcher)
    return load_prices(session, matcher)


def _profile(session, client_id: str | None, profile: Path | None):
    from matcher.ingest.profile import parse_profile
    from matcher.store.profiles import load_profile

    if profile is not None:
        try:
            data = json.loads(profile.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _fail(f"{profile}: not a readable JSON profile ({exc})")
        if not isinstance(data, dict):
            _fail(f"{profile}: a profile is a JSON object of client fields")
        try:
            return parse_profile(data)
        except ImportFailed as exc:
            _fail(f"{profile}: {exc.render()}")
    if not client_id:
        _fail("give a CLIENT_ID or --profile FILE.json")
    try:
        return load_profile(session, client_id)
    except KeyError:
        _fail(f"unknown client {client_id}")


@app.command()
def train(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    tolerance_auc: Annotated[float | None, typer.Option(
        help="Promote if the held-out ROC AUC is at most this much lower (default 0.005).")
    ] = None,
    tolerance_brier: Annotated[float | None, typer.Option(
        help="Promote if the held-out Brier score is at most this much higher "
             "(default 0.005).")] = None,
    force: Annotated[bool, typer.Option(help="Promote even if the candidate is worse.")
                     ] = False,
) -> None:
    """Fit a candidate model on the placements; make it current only if it is not worse
    than the current one on the same held-out placements (exit 3 when not promoted)."""
    from matcher.outcomes.cli import train_command

    train_command(as_json=as_json, tolerance_auc=tolerance_auc,
                  tolerance_brier=tolerance_brier, force=force)


@app.command()
def suggest(
    client_id: Annotated[str | None, typer.Argument(help="A stored client's id.")] = None,
    top: Annotated[int, typer.Option(min=1, max=100, help="How many suggestions.")] = 10,
    kind: Annotated[str | None, typer.Option(help="training, job or livelihood.")] = None,
    profile: Annotated[Path | None, typer.Option(help="An unsaved profile (JSON).")] = None,
    lang: Annotated[str, typer.Option(help="vi or en, for the reasons printed.")] = "vi",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ranked suggestions for a stored client (or an unsaved profile), with reasons."""
    from sqlalchemy.orm import Session

    with Session(make_engine()) as session:
        client = _profile(session, client_id, profile)
        matcher = _matcher(session)
        prices = _prices(session, matcher)
    try:
        result = matcher.suggest(client, top=top, kind=kind, prices=prices)
    except ValueError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    lang = "en" if lang == "en" else "vi"
    print(f"{result['n_eligible']} / {result['n_options']} options eligible; "
          f"model {result['model_version']}; {result['pricing'][lang]}")
    for rank, s in enumerate(result["suggestions"], start=1):
        print(f"{rank:2}. {s['option_id']} {s['title']} — {s['provider_name']} ({s['place']})"
              f"  score {s['score']:.3f}  P {s['p_success']:.0%}")
        for r in s["reasons"]:
            print(f"      · {r[lang]}")


@app.command()
def explain(
    client_id: Annotated[str, typer.Argument(help="A stored client's id.")],
    option_id: Annotated[str, typer.Argument(help="The option asked about.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Why an option is, or is not, suggested for a client."""
    from sqlalchemy.orm import Session

    with Session(make_engine()) as session:
        client = _profile(session, client_id, None)
        matcher = _matcher(session)
        prices = _prices(session, matcher)
    try:
        answer = matcher.explain(client, option_id, prices=prices)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    if as_json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    elif answer["eligible"]:
        print(f"{option_id} is eligible: rank {answer['rank']} of {answer['n_eligible']}, "
              f"P(success) {answer['p_success']:.0%}, score {answer['score']:.3f}"
              + (f", seat price {answer['seat_price']:.3f} (rank {answer['rank_without_price']}"
                 " without it)" if answer.get("seat_price") else ""))
    else:
        print(f"{option_id} is not eligible for {client_id}:")
        for r in answer["failed_rules"]:
            print(f"  · {r['vi']} ({r['en']})")


def _cohort_ids(path: Path) -> list[str]:
    from matcher.ingest.reading import read_table

    table = read_table(path, max_bytes=int(get_settings().import_max_mb * 1e6))
    header = [h.strip().lower() for h in table.header]
    if header != ["client_id"]:
        raise ImportFailed([Problem(1, None, "a cohort file has one column, client_id "
                                    f"(found: {', '.join(header)})")])
    ids, seen, problems = [], {}, []
    for row, cells in zip(table.row_numbers, table.rows, strict=True):
        cid = cells[0].strip() if cells else ""
        if cid in seen:
            problems.append(Problem(row, "client_id",
                                    f"duplicate {cid} (first at row {seen[cid]})"))
        elif cid:
            seen[cid] = row
            ids.append(cid)
    if problems:
        raise ImportFailed(problems)
    if not ids:
        raise ImportFailed([Problem(None, None, "empty cohort: the file lists no client")])
    return ids


@app.command()
def allocate(
    cohort_file: Annotated[Path, typer.Argument(help="CSV or .xlsx with a client_id column.")],
    budget: Annotated[int | None, typer.Option(help="Budget in VND for fees and start-up.")] = None,
    priority: Annotated[list[str] | None, typer.Option(
        help="group=weight, e.g. trafficking_returnee=2 (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The best plan for a cohort under seats (and a budget), against the baselines."""
    from sqlalchemy.orm import Session

    from matcher.planning.cohort import plan_cohort
    from matcher.store.profiles import load_profile
    from matcher.vocab.domain import Group

    if budget is not None and budget < 0:
        _fail(f"the budget must be 0 or more, not {budget}")
    weights: dict[str, float] = {}
    for item in priority or []:
        group, _, value = item.partition("=")
        try:
            weights[Group(group.strip())] = float(value)
        except ValueError:
            _fail(f"--priority {item!r}: write group=weight with a known group and a number")
        if weights[group.strip()] < 0:
            _fail(f"--priority {item!r}: a weight is 0 or more")
    try:
        ids = _cohort_ids(cohort_file)
    except ImportFailed as exc:
        _fail(f"{cohort_file}: {exc.render()}")
    with Session(make_engine()) as session:
        missing, clients = [], []
        for cid in ids:
            try:
                clients.append(load_profile(session, cid))
            except KeyError:
                missing.append(cid)
        if missing:
            _fail(f"{cohort_file}: unknown clients: {', '.join(missing[:20])}"
                  + (f" and {len(missing) - 20} more" if len(missing) > 20 else ""))
        matcher = _matcher(session)
    result = plan_cohort(matcher, clients, budget_vnd=budget, priority=weights)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{len(result['assignments'])} of {len(ids)} clients placed; expected successes "
          f"{result['expected_successes']:.1f}; cost {result['cost_vnd']:,} VND")
    for name, gain in result["gain_over"].items():
        print(f"  gain over {name}: {gain:+.2f}")
    for u in result["unassigned"]:
        print(f"  {u['client_id']}: {u['vi']}")


@app.command()
def evaluate(
    world: Annotated[Path, typer.Option(help="The synthetic world (CSVs + truth.json) "
                                              "the database holds.")] = DEMO_DIR,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Backtest suggestions and cohort plans against baselines, graded by the world's truth."""
    from sqlalchemy.orm import Session

    from matcher.outcomes import NoHistory
    from matcher.review.backtest import backtest
    from matcher.store.catalog import load_catalog
    from matcher.store.frames import load_clients, load_placements
    from matcher.synth import read_world

    if not (world / "truth.json").is_file():
        _fail(f"{world}: no truth.json; evaluate grades decisions in a synthetic world "
              "whose truth is known")
    truth_world = read_world(world)
    with Session(make_engine()) as session:
        catalog, clients = load_catalog(session), load_clients(session)
        placements = load_placements(session)
    if set(clients["client_id"]) != set(truth_world.clients["client_id"]):
        _fail(f"the database does not hold the world in {world}: seed it from there first")
    try:
        result = backtest(truth_world, catalog, clients, placements, seed=seed)
    except NoHistory as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    for part in ("top1", "cohort"):
        shares = result[part]["share_of_oracle_gain"]
        print(f"{part}: share of the oracle's gain over random: "
              + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    auc = result["held_out_auc"]
    if auc:
        print(f"held-out ROC AUC {auc['roc_auc']:.3f}, Brier {auc['brier']:.3f}")


@app.command()
def review(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    simulate_log: Annotated[int, typer.Option(
        help="Demo only: first log this many SIMULATED suggestion lists with decisions "
             "(refused when real ones are stored).")] = 0,
    effects: Annotated[bool, typer.Option(help="Estimate the effects of placement "
                                               "(the slow part).")] = True,
) -> None:
    """Match quality, calibration, fairness, provider league table, effects of placement."""
    from matcher.review.cli import run_review

    run_review(as_json=as_json, simulate_log=simulate_log, effects=effects)


@app.command()
def simulate(
    world: Annotated[str, typer.Option(help="ours, other (../shared/worlds) or both.")] = "both",
    seeds: Annotated[str, typer.Option(help="World seeds, comma-separated.")] = "1,2,3,4,5",
    orders: Annotated[str, typer.Option(help="Arrival orders, comma-separated: registration, "
                                             "shuffle:N.")] = "registration",
    seats_per_arrival: Annotated[str, typer.Option(help="Seats per arrival (scarcity), "
                                                        "comma-separated, each > 0.")] = "0.8",
    arrivals: Annotated[int, typer.Option(help="Clients arriving one at a time.")] = 600,
    behaviour: Annotated[str, typer.Option(help="first, heed, or mixed:F (F in [0, 1]); "
                                                "comma-separated for several.")] = "first",
    rounds: Annotated[bool, typer.Option(
        "--rounds", help="Also run with learning: after each quarter of arrivals, outcomes "
                         "drawn from the truth are recorded and a model retrained.")] = False,
    waiting_list: Annotated[str, typer.Option(
        help="imported (the files as written: history's never-placed clients wait too), "
             "current (they are left out, as closed cases), or both, comma-separated."
    )] = "imported",
    seat_changes: Annotated[str | None, typer.Option(
        help="Providers' seat changes replayed during the season: random:N, or a CSV file "
             "with after_arrivals, option_id, seats_added."
    )] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON to this file.")] = None,
) -> None:
    """Simulate arrivals one at a time through the API, graded by a world's known truth."""
    from matcher.simulation import WorldUnavailable, parse_spec, run_sweep
    from matcher.simulation.report import render

    # Bad input, and a world that cannot be built here: one line, exit 2.
    try:
        spec = parse_spec(world=world, seeds=seeds, orders=orders,
                          seats_per_arrival=seats_per_arrival, arrivals=arrivals,
                          behaviours=behaviour, rounds=rounds, waiting_list=waiting_list,
                          seat_changes=seat_changes)
    except ValueError as exc:
        print(f"matcher simulate: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    try:
        doc = run_sweep(spec, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    except (WorldUnavailable, ValueError) as exc:  # ValueError: a schedule's unknown option
        print(f"matcher simulate: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=str)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    print(text if as_json else render(doc))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    engine = make_engine()
    upgrade(engine)
    print(f"schema at revision {current_revision(engine)}")


@db_app.command("status")
def db_status() -> None:
    """Show the schema revision of the database and of the code."""
    engine = make_engine()
    print(f"database: {current_revision(engine) or 'empty'}; code: {head_revision()}")


def _first_start_hints(engine) -> None:
    """What a new database needs next: an empty one is served as it is, never filled."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from matcher.store.tables import User

    with Session(engine) as session:
        accounts = session.scalar(select(func.count()).select_from(User))
    if not accounts:
        print("no account yet: create the first admin with "
              "`matcher users add NAME --role admin` (the password is asked for)")
    if is_empty(engine):
        print("the database holds no data: import the contract files (`matcher import KIND "
              "FILE`, or POST /v1/imports/{kind}); to try the product on synthetic data, make "
              "an empty database of its own the demo database with `matcher demo`")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (PostgreSQL for more than 1).")
    ] = 1,
) -> None:
    """Serve the API and the web pages (an empty database stays empty: see the hints)."""
    import os
    import tempfile

    import uvicorn

    engine = make_engine()
    upgrade(engine)
    _first_start_hints(engine)
    if workers > 1:
        if get_settings().database_url.startswith("sqlite"):
            print("note: several workers share one SQLite file; use PostgreSQL for real load")
        # Every worker writes its metrics here, and /metrics adds them up.
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="matcher-prom-"))
    uvicorn.run("api.main:app", host=host, port=port, workers=workers, factory=False,
                proxy_headers=True, log_level="info",
                # Access lines carry query strings (a searched name): off; /metrics counts.
                access_log=False)


if __name__ == "__main__":  # pragma: no cover
    app()
