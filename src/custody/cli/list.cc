#include <algorithm>
#include <string>
#include <vector>

#include "custody/cli/commands.h"
#include "custody/cli/progress.h"
#include "custody/cli/terminal.h"

namespace custody::cli {
namespace {

// Terminal columns of a sanitized cell: one per code point, which undercounts wide (East Asian)
// characters but keeps ASCII tables aligned.
size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

template <typename Item>
std::string FormatJsonArray(const std::vector<Item>& items) {
  if (items.empty()) {
    return "[]\n";
  }
  std::string text = "[\n";
  for (size_t i = 0; i < items.size(); ++i) {
    text += "  " + items[i].json + (i + 1 < items.size() ? ",\n" : "\n");
  }
  return text + "]\n";
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

}  // namespace

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size() + 1);
  cells.push_back(header);
  for (const std::vector<std::string>& row : rows) {
    std::vector<std::string> sanitized;
    sanitized.reserve(row.size());
    for (const std::string& cell : row) {
      sanitized.push_back(SanitizeForTerminal(cell));
    }
    cells.push_back(std::move(sanitized));
  }

  std::vector<size_t> widths(header.size(), 0);
  for (const std::vector<std::string>& row : cells) {
    for (size_t column = 0; column < row.size() && column < widths.size(); ++column) {
      widths[column] = std::max(widths[column], DisplayWidth(row[column]));
    }
  }

  std::string text;
  for (const std::vector<std::string>& row : cells) {
    std::string line;
    for (size_t column = 0; column < row.size() && column < widths.size(); ++column) {
      line += row[column];
      if (column + 1 < row.size() && column + 1 < widths.size()) {
        line += std::string(widths[column] - DisplayWidth(row[column]) + 2, ' ');
      }
    }
    text += line + "\n";
  }
  return text;
}

Status RunList(CommandContext& context, const ListOptions& options) {
  if (!options.evidence_id.empty()) {
    CUSTODY_ASSIGN_OR_RETURN(const std::vector<Version> versions,
                             context.api.ListVersions(options.evidence_id));
    if (options.json) {
      context.out << FormatJsonArray(versions);
      return Status::Ok();
    }
    std::vector<std::vector<std::string>> rows;
    for (const Version& version : versions) {
      rows.push_back({version.id, std::to_string(version.number), version.status,
                      FormatBytes(version.size), OrDash(version.created_at), version.file_name});
    }
    context.out << FormatTable({"ID", "NUMBER", "STATUS", "SIZE", "CREATED", "FILE NAME"}, rows);
    return Status::Ok();
  }

  if (!options.entity_id.empty()) {
    CUSTODY_ASSIGN_OR_RETURN(const std::vector<EvidenceItem> items,
                             context.api.ListEvidence(options.entity_id));
    if (options.json) {
      context.out << FormatJsonArray(items);
      return Status::Ok();
    }
    std::vector<std::vector<std::string>> rows;
    for (const EvidenceItem& item : items) {
      rows.push_back({item.id, OrDash(item.latest_version), OrDash(item.created_at), item.title});
    }
    context.out << FormatTable({"ID", "LATEST", "CREATED", "TITLE"}, rows);
    return Status::Ok();
  }

  CUSTODY_ASSIGN_OR_RETURN(const std::vector<Entity> entities, context.api.ListEntities());
  if (options.json) {
    context.out << FormatJsonArray(entities);
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const Entity& entity : entities) {
    rows.push_back({entity.id, entity.kind, OrDash(entity.parent_id), entity.name});
  }
  context.out << FormatTable({"ID", "KIND", "PARENT", "NAME"}, rows);
  return Status::Ok();
}

}  // namespace custody::cli
