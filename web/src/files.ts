// Checks a picked file against the rules custodyd applies to a new version (docs/api.md), so
// that the page can reject a file, with a readable message, before it creates anything.
const MAX_NAME_BYTES = 255;
const MAX_FILE_BYTES = 5 * 1024 ** 4; // 5 TiB, S3's largest object

function isControl(codePoint: number): boolean {
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
}

// Returns true for the invisible characters that can make a name read as another one, the
// same list as custodyd's text check (common/text.cc).
function isDeceptiveFormat(codePoint: number): boolean {
  return (
    codePoint === 0x061c ||
    codePoint === 0x200b ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2060 && codePoint <= 0x2064) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069) ||
    codePoint === 0xfeff
  );
}

// Returns the reason `file` cannot be uploaded, or null when it can.
export function fileProblem(file: { name: string; size: number }): string | null {
  const name = file.name;
  if (file.size === 0) {
    return `${name || "The file"} is empty; evidence needs at least one byte.`;
  }
  if (file.size > MAX_FILE_BYTES) {
    return `${name} is larger than 5 TiB, the largest object S3 stores.`;
  }
  if (name === "") {
    return "The file has no name.";
  }
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) {
    return `The name of ${name.slice(0, 40)}… is longer than ${MAX_NAME_BYTES} bytes; rename the file.`;
  }
  for (const character of name) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (isControl(codePoint)) {
      return `The name of ${JSON.stringify(name)} contains a control character; rename the file.`;
    }
    if (isDeceptiveFormat(codePoint)) {
      return `The name of ${JSON.stringify(name)} contains an invisible formatting character; rename the file.`;
    }
  }
  if (name.includes("/") || name.includes("\\")) {
    return `The name ${name} contains a slash or backslash; rename the file.`;
  }
  if (name === "." || name === "..") {
    return `${name} is not a file name.`;
  }
  if (name.startsWith(" ") || name.endsWith(" ")) {
    return `The name "${name}" starts or ends with a space; rename the file.`;
  }
  return null;
}
