#pragma once
// The environment of an app (scheduler-worker.md §7.3, the reference's IexecEnvUtils), exact names and values:
//
//   IEXEC_TASK_ID             taskid, 0x + 64 lowercase hex
//   IEXEC_DEAL_ID             dealid, 0x + 64 lowercase hex
//   IEXEC_TASK_INDEX          the task's index in the deal's request order (absolute idx), decimal
//   IEXEC_BOT_SIZE            deal.botSize, decimal
//   IEXEC_BOT_FIRST_INDEX     deal.botFirst, decimal
//   IEXEC_BOT_TASK_INDEX      the task's index (absolute idx, as the reference's TaskDescription.botIndex), decimal
//   IEXEC_IN                  the input mount ("/iexec_in")
//   IEXEC_OUT                 the output mount ("/iexec_out")
//   IEXEC_DATASET_ADDRESS     the dataset address, 0x + 40 lowercase hex (the zero address when there is none)
//   IEXEC_DATASET_FILENAME    = IEXEC_DATASET_ADDRESS (the dataset is saved under that name in IEXEC_IN)
//   IEXEC_INPUT_FILES_NUMBER  number of input files ("0" when none)
//   IEXEC_INPUT_FILES_FOLDER  = IEXEC_IN, only with input files
//   IEXEC_INPUT_FILE_NAME_i   i = 1..n: "0x" + sha256(url) lowercase hex, only with input files
// plus PATH=/bin (the sandbox's shell). Nothing else is inherited from the worker.
// Pure; thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/uint256.hpp>

namespace wp::worker {

struct TaskFacts {
    Bytes32 task_id;
    Bytes32 deal_id;
    U256 task_index;  //!< absolute idx
    U256 bot_size;
    U256 bot_first;
    std::optional<Address> dataset;        //!< none: the zero address
    std::vector<std::string> input_files;  //!< the deal's iexec_input_files URLs, in order
};

//! The file name an input file gets in IEXEC_IN: "0x" + sha256(url) in lowercase hex.
std::string input_file_name(const std::string& url);

std::vector<std::pair<std::string, std::string>> app_environment(const TaskFacts& task,
                                                                 const std::string& in_mount = "/iexec_in",
                                                                 const std::string& out_mount = "/iexec_out");

}  // namespace wp::worker
