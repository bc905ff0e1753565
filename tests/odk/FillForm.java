// Fills an XForm with JavaRosa (the engine of ODK Collect, inside the ODK_Validate.jar that
// pyxform ships) and writes the submission XML exactly as Collect's engine serialises it.
//
//   java -cp ODK_Validate.jar:<classes> FillForm FORM.xml MEDIA_DIR ANSWERS OUT.xml
//
// ANSWERS has one `question<TAB>value` per line (the question's instance name; selects by
// choice name, several space-separated for a multiple choice; geopoints and geotraces as
// Collect writes them). Questions not named are left unanswered. Media files
// (jr://file-csv/...) are read from MEDIA_DIR. Exits 2 when an answer breaks a constraint or a
// choice does not exist, naming the question: the form's own rules are checked by the engine.

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

import org.javarosa.core.model.FormDef;
import org.javarosa.core.model.SelectChoice;
import org.javarosa.core.model.data.*;
import org.javarosa.core.model.data.helper.Selection;
import org.javarosa.core.model.instance.InstanceInitializationFactory;
import org.javarosa.core.reference.*;
import org.javarosa.core.services.IPropertyManager;
import org.javarosa.core.services.PropertyManager;
import org.javarosa.core.services.properties.IPropertyRules;
import org.javarosa.form.api.FormEntryController;
import org.javarosa.form.api.FormEntryModel;
import org.javarosa.form.api.FormEntryPrompt;
import org.javarosa.model.xform.XFormSerializingVisitor;
import org.javarosa.xform.util.XFormUtils;

public class FillForm {
    /** jr://file-csv/NAME and jr://file/NAME from the media directory. */
    static class MediaFactory implements ReferenceFactory {
        final Path dir;
        MediaFactory(Path dir) { this.dir = dir; }
        public boolean derives(String uri) { return uri.startsWith("jr://file"); }
        public Reference derive(String uri) {
            final Path file = dir.resolve(uri.substring(uri.lastIndexOf('/') + 1));
            return new Reference() {
                public boolean doesBinaryExist() { return Files.exists(file); }
                public InputStream getStream() throws IOException { return Files.newInputStream(file); }
                public String getURI() { return uri; }
                public String getLocalURI() { return file.toString(); }
                public boolean isReadOnly() { return true; }
                public OutputStream getOutputStream() throws IOException { throw new IOException("read only"); }
                public void remove() throws IOException { throw new IOException("read only"); }
                public Reference[] probeAlternativeReferences() { return new Reference[0]; }
            };
        }
        public Reference derive(String uri, String context) { return derive(uri); }
    }

    /** The properties JavaRosa's preloaders ask for (`deviceid`). */
    static class Properties implements IPropertyManager {
        final Map<String, String> values = new HashMap<>();
        public List<String> getProperty(String name) {
            String v = values.get(name);
            return v == null ? null : Collections.singletonList(v);
        }
        public void setProperty(String name, String value) { values.put(name, value); }
        public void setProperty(String name, List<String> value) { values.put(name, value.get(0)); }
        public String getSingularProperty(String name) { return values.get(name); }
        public void addRules(IPropertyRules rules) {}
        public List<IPropertyRules> getRules() { return new ArrayList<>(); }
    }

    static void fail(String message) {
        System.err.println(message);
        System.exit(2);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) fail("usage: FillForm FORM.xml MEDIA_DIR ANSWERS OUT.xml");
        Properties properties = new Properties();
        properties.setProperty("deviceid", "javarosa:fixture");
        PropertyManager.setPropertyManager(properties);
        ReferenceManager.instance().addReferenceFactory(new MediaFactory(Paths.get(args[1])));
        Map<String, String> answers = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Paths.get(args[2]), StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            if (tab > 0) answers.put(line.substring(0, tab), line.substring(tab + 1));
        }
        FormDef form;
        try (InputStream in = Files.newInputStream(Paths.get(args[0]))) {
            form = XFormUtils.getFormFromInputStream(in);
        }
        form.initialize(true, new InstanceInitializationFactory());
        FormEntryModel model = new FormEntryModel(form);
        FormEntryController controller = new FormEntryController(model);
        Set<String> used = new HashSet<>();
        for (int event = controller.stepToNextEvent(); event != FormEntryController.EVENT_END_OF_FORM;
                event = controller.stepToNextEvent()) {
            if (event != FormEntryController.EVENT_QUESTION) continue;
            FormEntryPrompt prompt = model.getQuestionPrompt();
            String name = prompt.getIndex().getReference().getNameLast();
            String value = answers.get(name);
            if (value == null) continue;
            used.add(name);
            IAnswerData data;
            List<SelectChoice> choices = prompt.getSelectChoices();
            if (choices != null) {
                List<Selection> selected = new ArrayList<>();
                for (String v : value.trim().split("\\s+")) {
                    SelectChoice found = null;
                    for (SelectChoice c : choices) if (c.getValue().equals(v)) found = c;
                    if (found == null) fail(name + ": no choice " + v);
                    selected.add(found.selection());
                }
                data = prompt.getDataType() == org.javarosa.core.model.Constants.DATATYPE_CHOICE_LIST
                        ? new SelectMultiData(selected) : new SelectOneData(selected.get(0));
            } else {
                data = AnswerDataFactory.template(prompt.getControlType(), prompt.getDataType())
                        .cast(new UncastData(value));
            }
            int status = controller.answerQuestion(data, true);
            if (status != FormEntryController.ANSWER_OK) {
                fail(name + ": the form refuses " + value + " (status " + status + ")");
            }
        }
        for (String name : answers.keySet()) {
            if (!used.contains(name)) fail(name + ": not asked (not in the form, or not relevant)");
        }
        controller.finalizeFormEntry();
        form.postProcessInstance();
        byte[] xml = new XFormSerializingVisitor().serializeInstance(form.getInstance());
        Files.write(Paths.get(args[3]), xml);
    }
}
