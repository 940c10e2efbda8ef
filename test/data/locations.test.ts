// Where the files are looked for and fetched from, from flags and the environment (pure).
import { describe, expect, it } from "vitest";
import { FASHION_MNIST, MNIST } from "../../src/data/datasets.js";
import { dataDirFor, dataRoot, mirrorsFor, systemDirFor } from "../../src/data/locations.js";

describe("dataRoot and dataDirFor", () => {
  it.each([
    [{ SOFTMAX_DATA_DIR: "/data", XDG_CACHE_HOME: "/xdg" }, "/data"],
    [{ XDG_CACHE_HOME: "/xdg" }, "/xdg/softmax"],
    [{ XDG_CACHE_HOME: "relative/cache" }, "/home/u/.cache/softmax"], // the XDG spec: ignore a relative path
    [{ SOFTMAX_DATA_DIR: "" }, "/home/u/.cache/softmax"],
    [{}, "/home/u/.cache/softmax"],
  ])("%j → %s", (env, root) => {
    expect(dataRoot(env, "/home/u")).toBe(root);
  });

  it("puts each dataset in its own subdirectory, unless --data-dir names the files' directory", () => {
    expect(dataDirFor(FASHION_MNIST, undefined, { XDG_CACHE_HOME: "/xdg" })).toBe("/xdg/softmax/fashion-mnist");
    expect(dataDirFor(MNIST, undefined, { SOFTMAX_DATA_DIR: "/data" })).toBe("/data/mnist");
    expect(dataDirFor(MNIST, "here", { SOFTMAX_DATA_DIR: "/data" })).toBe("here");
  });
});

describe("systemDirFor", () => {
  it("is /usr/share/datasets/NAME, another root with $SOFTMAX_SYSTEM_DATA_DIR, none when it is empty", () => {
    expect(systemDirFor(FASHION_MNIST, {})).toBe("/usr/share/datasets/fashion-mnist");
    expect(systemDirFor(MNIST, { SOFTMAX_SYSTEM_DATA_DIR: "/opt/sets" })).toBe("/opt/sets/mnist");
    expect(systemDirFor(FASHION_MNIST, { SOFTMAX_SYSTEM_DATA_DIR: "" })).toBeNull();
  });
});

describe("mirrorsFor", () => {
  it("uses the dataset's defaults when neither flag nor variable is set", () => {
    expect(mirrorsFor(FASHION_MNIST, [], {})).toEqual(FASHION_MNIST.mirrors);
    expect(mirrorsFor(MNIST, [], { SOFTMAX_MIRROR: "  " })).toEqual(MNIST.mirrors);
  });
  it("replaces the defaults with $SOFTMAX_MIRROR, split on whitespace and commas", () => {
    expect(mirrorsFor(FASHION_MNIST, [], { SOFTMAX_MIRROR: "http://a/ ,http://b/\nhttp://c/" })).toEqual([
      "http://a/",
      "http://b/",
      "http://c/",
    ]);
  });
  it("prefers --mirror flags over the variable", () => {
    expect(mirrorsFor(FASHION_MNIST, ["http://x/"], { SOFTMAX_MIRROR: "http://a/" })).toEqual(["http://x/"]);
  });
});
