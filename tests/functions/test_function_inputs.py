"""A function's inputs, resolved offline the way the supabase CLI collects its upload, on the
layouts real projects use (issue 9): shared code outside `_` folders, a top-level file, monorepo
`../../shared`, aliases in functions/deno.json, a per-function deno.jsonc and a config.toml
import_map, static_files outside the folder."""

from __future__ import annotations

import tomllib

from orchestrator.function_inputs import FunctionInputs, Source, resolve


def _source(files: dict[str, str]) -> Source:
    def read(path: str) -> bytes | None:
        return files[path].encode() if path in files else None

    return Source(read, lambda folder: sorted(p for p in files if p.startswith(folder + "/")))


def _inputs(files: dict[str, str], name: str = "api") -> FunctionInputs:
    return resolve(name, _source(files))


def test_relative_imports_anywhere_in_the_project_transitively() -> None:
    found = _inputs({
        "supabase/functions/api/index.ts": 'import { a } from "../shared/a.ts";\nimport t from "../auth-types.ts";\n'
                                           "const m = await import('./lazy.ts');\nexport * from \"../../lib/x.ts\";\n",
        "supabase/functions/api/lazy.ts": 'import "npm:zod@3";\nimport { s } from "jsr:@std/assert";\n',
        "supabase/functions/shared/a.ts": 'import type { T } from "../_backend/types.ts";\nexport const a = 1;\n',
        "supabase/functions/_backend/types.ts": "export type T = 1;\n",
        "supabase/functions/auth-types.ts": "export default 1;\n",
        "supabase/lib/x.ts": 'import data from "./data.json" with { type: "json" };\n',
        "supabase/lib/data.json": '{"k": "./not-an-import.ts"}',
        "supabase/functions/shared/unused.ts": "export {};\n",
        "supabase/functions/other/index.ts": "export {};\n",
    })
    assert found.files == (
        "supabase/functions/_backend/types.ts", "supabase/functions/api/index.ts", "supabase/functions/api/lazy.ts",
        "supabase/functions/auth-types.ts", "supabase/functions/shared/a.ts", "supabase/lib/data.json",
        "supabase/lib/x.ts")
    assert found.missing == ()


def test_the_shared_import_map_uploads_every_local_target_and_functions_deno_json_is_not_read() -> None:
    """Measured with supabase 3.1.0 and 2.122.1: each local target of the map goes up (a folder
    whole, an unused file too); supabase/functions/deno.json is not the function's import map."""
    found = _inputs({
        "supabase/functions/deno.json": '{"imports": {"@ignored/": "./_ignored/"}}',
        "supabase/functions/import_map.json": '{"imports": {"@shared/": "./_shared/", "zod": "npm:zod@3", '
                                              '"cfg": "./cfg.ts", "never": "./never.ts"}}',
        "supabase/functions/api/index.ts": 'import "@shared/cors.ts";\nimport "zod";\nimport "cfg";\n'
                                           'import "@shared/gone.ts";\nimport "@ignored/x.ts";\n',
        "supabase/functions/_shared/cors.ts": "export {};\n",
        "supabase/functions/_shared/unused.ts": "export {};\n",
        "supabase/functions/_ignored/x.ts": "export {};\n",
        "supabase/functions/cfg.ts": "export {};\n",
        "supabase/functions/never.ts": "export {};\n",
    })
    assert found.files == ("supabase/functions/_shared/cors.ts", "supabase/functions/_shared/unused.ts",
                           "supabase/functions/api/index.ts", "supabase/functions/cfg.ts",
                           "supabase/functions/import_map.json", "supabase/functions/never.ts")
    assert found.missing == ("supabase/functions/_shared/gone.ts",)


def test_a_per_function_deno_jsonc_wins_over_the_shared_map() -> None:
    found = _inputs({
        "supabase/functions/import_map.json": '{"imports": {"@x/": "./_wrong/"}}',
        "supabase/functions/api/deno.jsonc": '{\n  // ours\n  "imports": {"@x/": "../_right/",},\n}',
        "supabase/functions/api/index.ts": 'import "@x/mod.ts";\n',
        "supabase/functions/_right/mod.ts": "",
    })
    assert "supabase/functions/_right/mod.ts" in found.files and "supabase/functions/api/deno.jsonc" in found.files
    assert "supabase/functions/import_map.json" not in found.files


def test_config_toml_settings_import_map_entrypoint_and_static_files() -> None:
    config = ('project_id = "demo"\n[auth.email.template.invite]\ncontent_path = "./templates/invite.html"\n'
              '[inbucket]\nenabled = true\n'
              '[functions.api]\nverify_jwt = false\nimport_map = "./import_map.json"\n'
              'entrypoint = "./functions/api/main.ts"\nstatic_files = ["./assets/*.html", "./functions/api/t/**"]\n')
    found = _inputs({
        "supabase/config.toml": config,
        "supabase/import_map.json": '{"imports": {"#lib": "./lib/mod.ts"}}',
        "supabase/functions/api/main.ts": 'import "#lib";\n',
        "supabase/functions/api/index.ts": "never used\n",
        "supabase/lib/mod.ts": "",
        "supabase/assets/mail.html": "", "supabase/assets/deep/no.html": "",
        "supabase/functions/api/t/a/b.txt": "",
        "supabase/templates/invite.html": "",
    })
    assert found.files == ("supabase/assets/mail.html", "supabase/functions/api/main.ts",
                           "supabase/functions/api/t/a/b.txt", "supabase/import_map.json", "supabase/lib/mod.ts")
    assert "supabase/templates/invite.html" not in found.files
    assert found.settings == {"verify_jwt": False, "import_map": "./import_map.json",
                              "entrypoint": "./functions/api/main.ts",
                              "static_files": ["./assets/*.html", "./functions/api/t/**"]}
    minimal = tomllib.loads(found.minimal_config())  # only this function: no templates, no [inbucket]
    assert minimal == {"project_id": "demo", "functions": {"api": found.settings}}


def test_settings_are_part_of_the_identity() -> None:
    base = {"supabase/functions/api/index.ts": "export {};\n"}
    on = _inputs({**base, "supabase/config.toml": "[functions.api]\nverify_jwt = true\n"})
    off = _inputs({**base, "supabase/config.toml": "[functions.api]\nverify_jwt = false\n"})
    assert on.files == off.files and on.settings_text != off.settings_text


def test_no_entrypoint_means_no_files() -> None:
    found = _inputs({"supabase/functions/_shared/a.ts": ""}, name="_shared")
    assert found.files == () and found.missing == ("supabase/functions/_shared/index.ts",)


def test_a_deno_json_that_names_its_import_map() -> None:
    """`{"importMap": "../import_map.json"}` in each function's deno.json (a public project with 87
    functions does this): the CLI uploads both files and resolves through the named map."""
    found = _inputs({
        "supabase/functions/api/deno.json": '{"importMap": "../import_map.json"}',
        "supabase/functions/import_map.json": '{"imports": {"@lib/": "./_lib/", "zod": "npm:zod"}}',
        "supabase/functions/api/index.ts": 'import "@lib/a.ts";\n',
        "supabase/functions/_lib/a.ts": "",
    })
    assert found.files == ("supabase/functions/_lib/a.ts", "supabase/functions/api/deno.json",
                           "supabase/functions/api/index.ts", "supabase/functions/import_map.json")
    assert found.missing == ()
