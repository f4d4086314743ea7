import { json } from "../_shared/respond.ts";

Deno.serve((_req: Request) => json({ message: "hello from the demo", at: new Date().toISOString() }));
