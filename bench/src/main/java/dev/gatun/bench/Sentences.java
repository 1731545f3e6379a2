package dev.gatun.bench;

import java.util.List;

/**
 * The texts every MiniLM measurement embeds, Gatun and ONNX Runtime alike: 32 English
 * sentences of 6 to 40 words (about 9 to 50 tokens), the kind of text a semantic search
 * indexes.
 */
public final class Sentences {
    /** The batch: 32 sentences, in a fixed order. */
    public static final List<String> BATCH = List.of(
            "The cat sits on the mat.",
            "A feline rests on a rug near the window.",
            "Stock prices fell sharply after the central bank raised interest rates again.",
            "How do I reset my password if I no longer have access to my email?",
            "The train to Lisbon leaves at seven in the morning from platform four.",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "She played the cello at the wedding.",
            "Our quarterly revenue grew by twelve percent, driven mostly by subscriptions"
                    + " in Europe and Asia.",
            "Add two cups of flour, a pinch of salt and stir until the dough is smooth.",
            "The museum is closed on Mondays.",
            "Machine learning models can inherit biases present in their training data.",
            "Please find attached the signed contract and the invoice for March.",
            "Heavy rain is expected across the northern regions tomorrow afternoon, with"
                    + " local flooding possible near rivers.",
            "Which programming language should I learn first?",
            "The patient reported mild headaches and fatigue over the past two weeks.",
            "He fixed the bike with a wrench and some patience.",
            "Solar panels on the roof now cover most of the building's electricity use"
                    + " during the summer months.",
            "Where is the nearest pharmacy that is open at night?",
            "The committee postponed its decision until more evidence is available.",
            "Birds migrate south when the days grow shorter.",
            "This laptop's battery lasts about ten hours of video playback.",
            "The novel follows three generations of a family living on a small island, from"
                    + " the end of the war to the arrival of the first tourists, and the"
                    + " secrets they keep from each other.",
            "Refunds are issued within five business days.",
            "The bridge was designed to withstand earthquakes of magnitude eight.",
            "I would like to book a table for four people on Friday evening.",
            "Vaccines train the immune system to recognise a pathogen.",
            "The server returned an unexpected error while processing the request.",
            "Children learn languages faster than adults in many studies.",
            "The orchestra tuned their instruments before the concert began.",
            "Please update the shipping address on my latest order.",
            "Quantum computers use qubits that can exist in superpositions of states.",
            "The river flooded the village last spring.");

    private Sentences() {}
}
