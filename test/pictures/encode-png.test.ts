// Whether a path is a fit name for a picture: .png (any case), or no extension at all (a device such
// as /dev/stdout, a pipe); another extension would put PNG bytes behind a misleading name.
import { describe, expect, it } from "vitest";
import { picturePathProblem } from "../../src/pictures/encode-png.js";

describe("picturePathProblem", () => {
  it.each(["p.png", "out/curves.PNG", "/dev/stdout", "/dev/null", "pictures/run-1"])("accepts %s", (path) => {
    expect(picturePathProblem(path)).toBeUndefined();
  });

  it.each([
    ["p.jpg", "p.jpg ends in .jpg, but pictures are written as PNG (name it p.png)"],
    ["out/c.JPEG", "out/c.JPEG ends in .JPEG, but pictures are written as PNG (name it out/c.png)"],
    ["p.png.gz", "p.png.gz ends in .gz, but pictures are written as PNG (name it p.png.png)"],
    ["", "the file name is empty"],
  ])("refuses %j", (path, problem) => {
    expect(picturePathProblem(path)).toBe(problem);
  });
});
