"""The profile file that points the `supabase` CLI at a Management API other than api.supabase.com.

What the real binaries do (checked against supabase 3.1.0 and 2.122.1 with a logging http.server):

- Both read `SUPABASE_PROFILE` (and the global `--profile` flag, which wins over it; without either,
  the file `$SUPABASE_HOME/profile`, default `~/.supabase/profile`, may hold a profile name).
  The value is either a built-in profile name (`supabase`, `supabase-staging`, `supabase-local`, ...)
  or a PATH to a profile file.
- The file format is chosen by the file's extension: `.json`, `.yaml`/`.yml` work in both versions;
  a file without an extension is refused ("unsupported config file type"), and `.toml` is refused by
  both with a parse error. JSON is also valid YAML, so we write JSON to a `.json` file.
- Required keys (the CLI refuses the file otherwise): `name`, `api_url` (http(s) URL),
  `dashboard_url` (http(s) URL), `project_host` (an RFC 1123 hostname). Optional: `pooler_host`,
  `docs_url`, `client_id` (UUID v4), `studio_image`.
- The CLI then sends every Management API call to `api_url` (`GET {api_url}/v1/projects/{ref}/...`,
  with `Authorization: Bearer $SUPABASE_ACCESS_TOKEN`); it builds tenant URLs as
  `https://{ref}.{project_host}` (PostgREST/Auth/Functions) and the database host as
  `db.{ref}.{project_host}`; `dashboard_url` only appears in printed links.
- `SUPABASE_API_URL` is NOT a substitute: with it set, both versions still fail to reach the API
  (TransportError), so the profile file is the one mechanism, and it is the same for v2 and v3.

For the hosted API we set `SUPABASE_PROFILE=supabase` (the built-in name) so that a profile left in
the user's shell or home folder cannot send the CLI somewhere other than where the orchestrator talks.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.files import write_private

DEFAULT_API_URL = "https://api.supabase.com"
DEFAULT_PROFILE_NAME = "supabase"


def is_default_api(api_url: str | None) -> bool:
    return not api_url or api_url.rstrip("/") == DEFAULT_API_URL


def write_profile(directory: Path, *, api_url: str, project_host: str = "supabase.co",
                  dashboard_url: str | None = None, name: str = "orchestrator") -> Path:
    """Write `<directory>/<name>.profile.json` and return its path: the value for SUPABASE_PROFILE.

    Both supabase 3.x and 2.x (2.122.1 checked) read it the same way: the path's `.json` extension
    selects the parser, and `name`, `api_url`, `dashboard_url` and `project_host` are all required
    (dashboard_url defaults to `<api_url>/dashboard`). The CLI then sends all Management API calls
    to `api_url`, derives tenant URLs `https://{ref}.{project_host}` and the database host
    `db.{ref}.{project_host}`. The file holds no secret; it is written 0600 anyway.
    """
    api_url = api_url.rstrip("/")
    body = {"name": name, "api_url": api_url, "dashboard_url": dashboard_url or f"{api_url}/dashboard",
            "project_host": project_host}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.profile.json"
    return write_private(path, json.dumps(body, indent=2))
