import { describe, expect, it } from "vitest";

import { fileProblem } from "./files";

describe("fileProblem", () => {
  it("accepts plain names, Unicode and quotes", () => {
    for (const name of ["report.pdf", "Prüfbericht 2026.xlsx", "引き継ぎ.txt", `a "quoted" name`]) {
      expect(fileProblem({ name, size: 1 })).toBeNull();
    }
  });

  it("refuses what custodyd refuses", () => {
    const cases: [string, number, string][] = [
      ["empty.txt", 0, "is empty"],
      ["", 5, "no name"],
      ["a".repeat(256), 5, "longer than 255 bytes"],
      ["é".repeat(128), 5, "longer than 255 bytes"],
      ["tab\there.txt", 5, "control character"],
      ["line\u0085.txt", 5, "control character"],
      ["evil\u202Etxt.exe", 5, "invisible formatting"],
      ["zero\u200Bwidth.txt", 5, "invisible formatting"],
      ["dir/name.txt", 5, "slash or backslash"],
      ["dir\\name.txt", 5, "slash or backslash"],
      ["..", 5, "not a file name"],
      [" leading.txt", 5, "starts or ends with a space"],
      ["trailing.txt ", 5, "starts or ends with a space"],
      ["huge.bin", 5 * 1024 ** 4 + 1, "larger than 5 TiB"],
    ];
    for (const [name, size, expected] of cases) {
      expect(fileProblem({ name, size }), JSON.stringify(name)).toContain(expected);
    }
  });

  it("counts the name's length in UTF-8 bytes, as the server does", () => {
    expect(fileProblem({ name: "é".repeat(127), size: 1 })).toBeNull(); // 254 bytes
  });
});
