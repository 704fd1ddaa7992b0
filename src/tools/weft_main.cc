// weft: the user tool of Weft, the `lfs` of Weft (docs/tools.md): layouts, space, find.
#include <iostream>
#include <vector>

#include "tools/subcommand.h"
#include "tools/weft_df_command.h"
#include "tools/weft_find_command.h"
#include "tools/weft_stripe_command.h"

int main(int argc, char** argv) {
  using namespace weft::tools;
  CLI::App app("Weft user tool: layouts (setstripe, getstripe), space (df) and find on mounted "
               "Weft file systems",
               "weft");
  app.require_subcommand(1);
  std::vector<Subcommand> commands = {AddSetstripeCommand(app), AddGetstripeCommand(app),
                                      AddDfCommand(app), AddFindCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "weft: " << e.what() << "\n\n" << app.help();
    return kExitUsage;
  }
  for (const Subcommand& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return kExitUsage;
}
