#include "app_env.hpp"

#include <wp/core/hex.hpp>

#include "result.hpp"

namespace wp::worker {

std::string input_file_name(const std::string& url) { return to_hex(sha256(as_bytes(url)).view()); }

std::vector<std::pair<std::string, std::string>> app_environment(const TaskFacts& task, const std::string& in_mount,
                                                                 const std::string& out_mount) {
    std::vector<std::pair<std::string, std::string>> env;
    const std::string dataset = task.dataset ? task.dataset->to_lower_hex() : Address{}.to_lower_hex();
    env.emplace_back("PATH", "/bin");
    env.emplace_back("IEXEC_TASK_ID", to_hex(task.task_id.view()));
    env.emplace_back("IEXEC_DEAL_ID", to_hex(task.deal_id.view()));
    env.emplace_back("IEXEC_TASK_INDEX", task.task_index.to_dec());
    env.emplace_back("IEXEC_BOT_SIZE", task.bot_size.to_dec());
    env.emplace_back("IEXEC_BOT_FIRST_INDEX", task.bot_first.to_dec());
    env.emplace_back("IEXEC_BOT_TASK_INDEX", task.task_index.to_dec());
    env.emplace_back("IEXEC_IN", in_mount);
    env.emplace_back("IEXEC_OUT", out_mount);
    env.emplace_back("IEXEC_DATASET_ADDRESS", dataset);
    env.emplace_back("IEXEC_DATASET_FILENAME", dataset);
    env.emplace_back("IEXEC_INPUT_FILES_NUMBER", std::to_string(task.input_files.size()));
    if (!task.input_files.empty()) {
        env.emplace_back("IEXEC_INPUT_FILES_FOLDER", in_mount);
        for (std::size_t i = 0; i < task.input_files.size(); ++i)
            env.emplace_back("IEXEC_INPUT_FILE_NAME_" + std::to_string(i + 1), input_file_name(task.input_files[i]));
    }
    return env;
}

}  // namespace wp::worker
