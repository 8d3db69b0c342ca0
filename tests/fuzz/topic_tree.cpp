// The pub/sub topic matcher (pubsub/topic_tree.hpp) against a model: a map of
// patterns matched one by one with reference::topic_matches.
//
// Input: lines. The first byte of a line picks the operation on the rest:
//   'S' subscribe a pattern, 'U' unsubscribe it, 'F' find it, 'M' match a topic;
//   any other byte picks one of the four by its value modulo 4.
#include <duplex/pubsub/topic_tree.hpp>

#include "fuzz_target.hpp"
#include "reference.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace {

struct subscription {
    int id = -1;
};

using model_type = std::map<std::string, int, std::less<>>;

void check_match(const duplex::pubsub::topic_tree<subscription>& tree, const model_type& model,
                 std::string_view topic) {
    std::set<int> expected, got;
    for (const auto& [pattern, id] : model)
        if (duplex_fuzz::reference::topic_matches(pattern, topic)) expected.insert(id);
    tree.match(topic, [&](const subscription& s) {
        DUPLEX_FUZZ_CHECK(s.id >= 0);
        DUPLEX_FUZZ_CHECK(got.insert(s.id).second); // each pattern at most once
    });
    DUPLEX_FUZZ_CHECK(got == expected);
}

void check_find(const duplex::pubsub::topic_tree<subscription>& tree, const model_type& model,
                std::string_view pattern) {
    const subscription* found = tree.find(pattern);
    const auto it = model.find(pattern);
    DUPLEX_FUZZ_CHECK((found != nullptr) == (it != model.end()));
    if (found) DUPLEX_FUZZ_CHECK(found->id == it->second);
}

} // namespace

DUPLEX_FUZZ_TARGET(topic_tree) {
    using duplex::pubsub::is_valid_pattern;
    using duplex::pubsub::is_valid_topic;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    duplex::pubsub::topic_tree<subscription> tree;
    model_type model;
    int next_id = 0;

    std::size_t start = 0;
    while (start < input.size()) {
        auto end = input.find('\n', start);
        if (end == std::string_view::npos) end = input.size();
        const std::string_view line = input.substr(start, end - start);
        start = end + 1;
        if (line.empty()) continue;
        const std::string_view arg = line.substr(1);

        const bool valid_pattern = is_valid_pattern(arg);
        const bool valid_topic = is_valid_topic(arg);
        DUPLEX_FUZZ_CHECK(valid_pattern == duplex_fuzz::reference::is_valid_pattern(arg));
        DUPLEX_FUZZ_CHECK(valid_topic == duplex_fuzz::reference::is_valid_topic(arg));
        if (valid_pattern)
            DUPLEX_FUZZ_CHECK(duplex::pubsub::is_wildcard(arg) == (arg.find_first_of("+#") != std::string_view::npos));
        if (valid_topic) DUPLEX_FUZZ_CHECK(valid_pattern); // every topic is a pattern matching itself

        char op = line[0];
        if (op != 'S' && op != 'U' && op != 'F' && op != 'M') op = "SUFM"[static_cast<unsigned char>(op) % 4];
        switch (op) {
        case 'S':
            if (!valid_pattern) break;
            if (model.find(arg) == model.end()) {
                DUPLEX_FUZZ_CHECK(tree.at(arg).id == -1); // created empty
                tree.at(arg).id = next_id;
                model.emplace(std::string(arg), next_id++);
            }
            DUPLEX_FUZZ_CHECK(tree.at(arg).id == model.find(arg)->second);
            break;
        case 'U':
            if (!valid_pattern) break;
            tree.erase(arg);
            if (const auto it = model.find(arg); it != model.end()) model.erase(it);
            break;
        case 'F':
            if (valid_pattern) check_find(tree, model, arg);
            break;
        case 'M':
            if (valid_topic) check_match(tree, model, arg);
            break;
        }
        DUPLEX_FUZZ_CHECK(tree.empty() == model.empty());
    }
    // Every plain pattern, as a topic, matches at least itself.
    for (const auto& entry : model) {
        check_find(tree, model, entry.first);
        if (is_valid_topic(entry.first)) check_match(tree, model, entry.first);
    }
    return 0;
}
