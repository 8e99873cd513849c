// shouhu-training: the volunteer-training service (see DESIGN.md §2).
#include "common/server.h"
#include "services/training/training_module.h"

int main(int argc, char** argv) {
  return shouhu::ServeMain(argc, argv, {"training", 50054, 9154}, shouhu::TrainingMigrations(),
                           shouhu::training::BuildTrainingService);
}
