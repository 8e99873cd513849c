// shouhu-training: the volunteer-training service (DESIGN.md §2).
#include "common/server.h"
#include "services/training/training_module.h"

int main(int argc, char** argv) {
  return shouhu::ServeMain(argc, argv, shouhu::training::TrainingDefinition());
}
