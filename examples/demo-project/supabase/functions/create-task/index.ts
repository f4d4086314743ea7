import { json } from "../_shared/respond.ts";

Deno.serve(async (req: Request) => {
  const body = await req.json().catch(() => ({}));
  const taskType = typeof body.task_type === "string" ? body.task_type : "wan_2_2_i2v";
  console.log(`create-task: queued a ${taskType} task`);
  return json({ status: "Queued", task_type: taskType }, 200);
});
