// End-to-end tests of `softmax gradcheck` through the built binary (no data needed).
import { describe, expect, it } from "vitest";
import { lines, runCli } from "./helpers/cli.js";

describe("softmax gradcheck", () => {
  it("--json: one gradcheck object per loss, every max_rel_error below 1e-6, exit 0", async () => {
    const result = await runCli(["gradcheck", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const events = lines(result.stdout).map((line) => JSON.parse(line));
    expect(events.map((e) => e.loss)).toEqual(["cross-entropy", "mse", "hinge"]);
    for (const event of events) {
      expect(event.event).toBe("gradcheck");
      expect(event.max_rel_error).toBeGreaterThan(0);
      expect(event.max_rel_error).toBeLessThan(1e-6);
      expect(event.ok).toBe(true);
    }
  });

  it("--loss mse: a header and one row", async () => {
    const result = await runCli(["gradcheck", "--loss", "mse"]);
    expect(result.status).toBe(0);
    const rows = lines(result.stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^loss\s+max rel error\s+checked$/);
    expect(rows[1]).toMatch(/^mse\s+\d\.\d\de-\d+\s+810\s+ok$/);
  });

  it("an unknown --loss is a usage error (exit 2, one line naming the flag)", async () => {
    const result = await runCli(["gradcheck", "--loss", "l1"]);
    expect(result.status).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain("--loss");
    expect(result.stdout).toBe("");
  });
});
