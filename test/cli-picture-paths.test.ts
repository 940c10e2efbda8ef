// Every flag that names a picture refuses a name with another extension than .png, before any work:
// exit status 2 and one line naming the flag.
import { describe, expect, it } from "vitest";
import { BUILT, runCli } from "./helpers/cli.js";

describe.runIf(BUILT)("picture flags refuse a name that is not .png (e2e)", () => {
  it.each([
    [["show", "--out", "p.jpg"], "--out <file.png>"],
    [["predict", "--out", "grid.gif"], "--out <file.png>"],
    [["train", "--plot", "curves.jpeg"], "--plot <file>"],
    [["evaluate", "--confusion", "confusion.webp"], "--confusion <file>"],
  ])("softmax %j", async (args, flag) => {
    const result = await runCli(args);
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`option '${flag}'`);
    expect(lines[0]).toMatch(/ends in \.\w+, but pictures are written as PNG \(name it \w+\.png\)/);
    expect(result.stdout).toBe("");
  });
});
