// What a file that is not a PNG is, from its first bytes (its "magic number"), so that the error says
// "photo.jpg is a JPEG image, not a PNG" rather than "no PNG signature". Only formats a user is likely
// to hand us are named; anything else is "not a PNG image". Pure: bytes in, words out.

interface Kind {
  /** "a JPEG image", as it reads after "is". */
  readonly what: string;
  /** Whether it is a picture a converter can turn into a PNG (a hint to convert it), or something else. */
  readonly picture: boolean;
  readonly matches: (bytes: Uint8Array) => boolean;
}

const ascii = (bytes: Uint8Array, offset: number, text: string) =>
  bytes.length >= offset + text.length && [...text].every((c, i) => bytes[offset + i] === c.charCodeAt(0));

const KINDS: readonly Kind[] = [
  { what: "a JPEG image", picture: true, matches: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { what: "a GIF image", picture: true, matches: (b) => ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a") },
  { what: "a WebP image", picture: true, matches: (b) => ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP") },
  { what: "a BMP image", picture: true, matches: (b) => ascii(b, 0, "BM") && b.length >= 26 },
  {
    what: "a TIFF image",
    picture: true,
    matches: (b) =>
      (ascii(b, 0, "II") && b[2] === 42 && b[3] === 0) || (ascii(b, 0, "MM") && b[2] === 0 && b[3] === 42),
  },
  {
    what: "a HEIC/AVIF image",
    picture: true,
    matches: (b) => ascii(b, 4, "ftyp") && ["heic", "heix", "mif1", "avif", "heif"].some((brand) => ascii(b, 8, brand)),
  },
  { what: "a QOI image", picture: true, matches: (b) => ascii(b, 0, "qoif") },
  { what: "an SVG image", picture: true, matches: (b) => /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(head(b)) },
  { what: "a PDF document", picture: false, matches: (b) => ascii(b, 0, "%PDF-") },
  { what: "a gzip file", picture: false, matches: (b) => b[0] === 0x1f && b[1] === 0x8b },
  {
    what: "a safetensors model file",
    picture: false,
    matches: (b) => b.length > 9 && b[8] === 0x7b && ascii(b, 9, '"'),
  },
];

/** The name an image read from stdin goes by in messages. */
export const STDIN_NAME = "stdin";

function head(bytes: Uint8Array): string {
  return new TextDecoder("latin1").decode(bytes.subarray(0, 256));
}

/** How to say what `bytes` are when they are not a PNG: the words after "NAME is", and a hint. */
export function describeNonPng(bytes: Uint8Array, name: string): { what: string; hint: string } {
  if (bytes.length === 0) return { what: "empty (0 bytes)", hint: "give a PNG image" };
  const kind = KINDS.find((k) => k.matches(bytes));
  if (kind === undefined) {
    return {
      what: "not a PNG image (no PNG signature in its first 8 bytes)",
      hint: "give a .png file; convert other formats first",
    };
  }
  if (!kind.picture) return { what: `${kind.what}, not a PNG image`, hint: "give a .png file" };
  // From stdin there is no file name to put in the command: convert in the pipe instead.
  const convert =
    name === STDIN_NAME ? "magick - png:- | softmax predict -" : `magick ${name} ${name.replace(/\.[^./]*$/, "")}.png`;
  return { what: `${kind.what}, not a PNG`, hint: `convert it: ${convert}` };
}
