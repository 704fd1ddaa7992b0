// weftctl: the administration tool of Weft (docs/tools.md).
#include <iostream>
#include <vector>

#include "tools/fsck_mdt_command.h"
#include "tools/mkfs_mdt_command.h"
#include "tools/status_command.h"
#include "tools/subcommand.h"

int main(int argc, char** argv) {
  using namespace weft::tools;
  CLI::App app("Weft administration tool", "weftctl");
  app.require_subcommand(1);
  std::vector<Subcommand> commands = {AddStatusCommand(app), AddMkfsCommand(app),
                                      AddFsckCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "weftctl: " << e.what() << "\n\n" << app.help();
    return kExitUsage;
  }
  for (const Subcommand& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return kExitUsage;
}
