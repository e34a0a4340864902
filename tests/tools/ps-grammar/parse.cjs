// Parses PowerShell sources with tree-sitter-powershell (WASM, run by web-tree-sitter) for
// tests/unit/plugins/plugin_utils/test_powershell_grammar.py. Reads {"sources": {name: source}, "nodes": [type, ...]}
// as JSON on stdin, prints {name: {errors: [{row, column, text}], nodes: {type: count}}}: the ERROR and MISSING
// nodes, and how many nodes of each asked type (constructs of PowerShell 6+ the test looks for) the tree holds.
// Queries, not a walk in JavaScript: a script of 30 kB is a tree of some 100,000 nodes in this grammar.
"use strict";
const fs = require("fs");
const { Parser, Language, Query } = require("web-tree-sitter");

async function main() {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  await Parser.init();
  const language = await Language.load(require.resolve("tree-sitter-powershell/tree-sitter-powershell.wasm"));
  const parser = new Parser();
  parser.setLanguage(language);
  const problems = new Query(language, "(ERROR) @error (MISSING) @missing");
  const asked = input.nodes.length ? new Query(language, input.nodes.map((t) => "(" + t + ") @" + t).join(" "))
    : null;
  const out = {};
  for (const [name, source] of Object.entries(input.sources)) {
    const tree = parser.parse(source);
    const errors = [];
    if (tree.rootNode.hasError) {
      for (const { node, name: kind } of problems.captures(tree.rootNode)) {
        errors.push({ row: node.startPosition.row + 1, column: node.startPosition.column + 1,
          text: kind === "missing" ? "missing " + node.type : source.slice(node.startIndex, node.startIndex + 80) });
      }
    }
    const nodes = {};
    if (asked) {
      for (const { name: kind } of asked.captures(tree.rootNode)) { nodes[kind] = (nodes[kind] || 0) + 1; }
    }
    out[name] = { errors, nodes };
    tree.delete();
  }
  // Exit once the answer is written: the WASM runtime may keep the event loop alive.
  process.stdout.write(JSON.stringify(out), () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + "\n");
  process.exit(2);
});
