import { json } from "../_shared/respond.ts";

Deno.serve(async (req: Request) => {
  const body = await req.json().catch(() => ({}));
  console.log(`complete-task: task ${body.id ?? "(none)"} complete`);
  return json({ status: "Complete" });
});
