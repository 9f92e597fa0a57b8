"""Names `vulture` (the dead-code check of `make lint`) reports as unused that are used all the
same, by something it cannot see. Each group says what uses them."""

# Named in strings: `xqr serve` loads the app factory by name, the console script is `main`,
# and the command line loads `xqr worker` when it is asked for.
_.create_server_app
_.main
_.worker

# Called by libraries: expat's parser callbacks, httpcore's network backend interface, the
# httpx transport internals netguard replaces, SQLAlchemy's type decorator and the sqlite3
# connection, Starlette's Response, uvicorn's HTTP protocol and server state.
_.StartElementHandler
_.EntityDeclHandler
_.UnparsedEntityDeclHandler
_.ExternalEntityRefHandler
_.connect_unix_socket
_._pool
_.impl
_.cache_ok
_.process_bind_param
_.process_result_value
_.type_annotation_map
_.isolation_level
_.raw_headers
_._unset_keepalive_if_required
_.total_requests

# Read by Pydantic (settings) and by the Jinja templates (bio page themes).
_.model_config
_.muted
_.button_background
_.button_text
_.button_border
_.button_hover
_.focus
_.font

# Columns and plan limits stored or looked up by name (SQL, `Plan.limit(name)`).
_.custom
_.scope_id
_.last_status_code
_.qr_templates
_.bio_pages

# The API reference's error table, kept whole as data.
_.fix

# The SDK's public methods: used by its users.
_.bulk_status
_.iter_deliveries
_.retry
_.test
_.iter_members
_.runs
_.wait_for_run
_.download

# Runtime parts and counters that tests and benchmarks read.
_.scan_writer
_.bio_cache
_.webhook_dispatcher
_.link_health
_.skipped_bots
_.icon_names
_.theme_names
_.run_steps

# Read by the dashboard's Jinja templates, and by the dashboard's test set-up.
_.active
_.can
_.role_of

# Written for the record: when an account's password last changed.
_.password_changed_at

# Redis: the link of a process (ctx.parts.redis) and the count of changes its subscriber
# applied, read by the cluster tests and bench/api.py to know when Redis is in use.
_.redis
_.applied

# QR studio: fontTools pen callbacks, ReportLab's switch, the file protocol of the ZIP sink,
# report fields the API serialises, and a plan limit read by name.
_._moveTo
_._lineTo
_._curveToOne
_._closePath
_.useA85
_.writable
_.decodes_clean
_.error_correction_budget_percent
_.logo_coverage_percent
_.qr_bulk_items

# The first-run guide's steps, read by its Jinja template.
_.downloaded
_.scanned

# Read by the analytics templates (chart geometry).
_.fill

# The routing module's one-call form, which its property tests exercise (the redirect path
# asks for the matching rule itself, to record which one it was).
_.resolve_destination

# Label rollups rebuilt on demand: bench/dashboard.py lists its bulk-loaded label and rebuilds
# it at once, as do the label rollup tests (tests/analytics/test_label_rollups.py).
_.labels_changed
_.rebuild_all_changed
