"""The Deno bootstrap of the functions gateway, kept in Python so it ships with the package."""

BOOTSTRAP_JS = r"""
// Runs one deployed function version under real Deno for the local functions gateway.
// It pins Deno.serve to the port the gateway chose on 127.0.0.1, turns console output into
// level-tagged lines the gateway files as `function_logs` rows, then imports the entrypoint.
const port = Number(Deno.env.get("__SIM_PORT"));
const entry = Deno.env.get("__SIM_ENTRY");
Deno.env.delete("__SIM_PORT");
Deno.env.delete("__SIM_ENTRY");

const encoder = new TextEncoder();
const text = (args) => args.map((a) => (typeof a === "string" ? a : Deno.inspect(a))).join(" ");
const emit = (level, args) =>
  Deno.stdout.writeSync(encoder.encode("\x1e" + JSON.stringify({ level, msg: text(args) }) + "\n"));

for (const level of ["log", "info", "debug", "warn", "error"]) {
  console[level] = (...args) => emit(level, args);
}

const realServe = Deno.serve.bind(Deno);
Deno.serve = (first, second) => {
  const options = typeof first === "function" ? {} : { ...(first ?? {}) };
  const handler = typeof first === "function" ? first : (second ?? options.handler);
  delete options.handler;
  return realServe({
    ...options,
    port,
    hostname: "127.0.0.1",
    onListen: () => emit("ready", []),
    onError: options.onError ?? ((err) => {
      emit("error", [err]);
      return new Response(JSON.stringify({ error: String(err) }), { status: 500 });
    }),
  }, handler);
};

try {
  await import(entry);
} catch (err) {
  emit("error", ["worker boot error:", err]);
  Deno.exit(1);
}
"""
